//! The text of a post: title, URL slug, tags and a markdown body of varied length, in
//! Japanese or English with code blocks, links, quotes and backslashes, so the JSON carries
//! real escapes (`\n`, `\"`, `\\`, `\t`). Random identifiers and numbers keep the text about
//! as compressible as a real export (≈4–5× with gzip). The job ignores all of it.

use std::fmt::Write as _;

use rand::seq::IndexedRandom;
use rand::Rng;

/// Language of one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Ja,
    En,
}

impl Lang {
    pub(crate) fn random(rng: &mut impl Rng) -> Lang {
        if rng.random_bool(0.75) {
            Lang::Ja
        } else {
            Lang::En
        }
    }
}

const NOUNS_JA: &[&str] = &[
    "Lambda関数",
    "コールドスタート",
    "型安全性",
    "非同期処理",
    "メモリ使用量",
    "ビルド時間",
    "依存関係",
    "単体テスト",
    "デプロイ",
    "監視",
    "ログ",
    "キャッシュ",
    "データベース",
    "インデックス",
    "クエリ",
    "レイテンシ",
    "スループット",
    "設定ファイル",
    "環境変数",
    "コンテナ",
    "イメージ",
    "パイプライン",
    "リポジトリ",
    "権限",
    "IAMロール",
    "バケット",
    "スキーマ",
    "マイグレーション",
    "障害対応",
    "アラート",
    "ダッシュボード",
    "コスト",
    "請求額",
    "可観測性",
    "負荷試験",
    "リトライ",
    "タイムアウト",
    "排他制御",
    "トランザクション",
    "文字コード",
    "正規表現",
    "日付処理",
    "タイムゾーン",
    "月次集計",
    "グラフ",
    "フォント",
    "画像生成",
    "圧縮率",
    "ストリーミング",
    "バッチ処理",
    "スケジューラ",
    "認証",
    "証明書",
    "ネットワーク",
    "VPC",
    "CDN",
    "フロントエンド",
    "バックエンド",
    "コードレビュー",
    "ペアプロ",
    "オンボーディング",
    "ドキュメント",
    "設計書",
    "技術的負債",
    "リファクタリング",
    "パフォーマンス",
    "セキュリティ",
    "脆弱性",
    "ライブラリ",
    "クレート",
    "プロファイラ",
    "フレームグラフ",
];

/// Japanese compound words (most of the entropy of the Japanese prose).
const COMPOUNDS: &[&str] = &[
    "設計",
    "実装",
    "検証",
    "運用",
    "改善",
    "品質",
    "性能",
    "構成",
    "処理",
    "管理",
    "監視",
    "障害",
    "復旧",
    "予測",
    "集計",
    "分析",
    "統合",
    "分散",
    "並列",
    "順序",
    "番号",
    "名前",
    "比較",
    "増加",
    "減少",
    "最適",
    "効率",
    "速度",
    "容量",
    "負荷",
    "制御",
    "保守",
    "記録",
    "計算",
    "設定",
    "確認",
    "調査",
    "変更",
    "結果",
    "問題",
    "情報",
    "機能",
    "価値",
    "基準",
    "規則",
    "形式",
    "開発",
    "環境",
    "本番",
    "検索",
    "表示",
    "出力",
    "入力",
    "更新",
    "削除",
    "追加",
    "作成",
    "取得",
    "送信",
    "受信",
    "認証",
    "認可",
    "暗号",
    "通信",
    "接続",
    "切断",
    "同期",
    "並行",
    "上限",
    "下限",
    "閾値",
    "期限",
    "期間",
    "月次",
    "日次",
    "年次",
    "週次",
    "時刻",
    "時差",
    "地域",
    "言語",
    "文字",
    "記号",
    "数値",
    "日付",
    "曜日",
    "祝日",
    "社内",
    "顧客",
    "利用者",
    "管理者",
    "担当者",
    "開発者",
    "責任",
    "権限",
    "役割",
    "手順",
    "方針",
    "目標",
    "課題",
    "対策",
    "原因",
    "影響",
    "範囲",
    "優先度",
    "工数",
    "見積",
    "進捗",
    "報告",
    "共有",
    "議論",
    "合意",
    "判断",
    "決定",
    "導入",
    "移行",
    "廃止",
    "継続",
    "拡張",
    "縮小",
    "分割",
    "統一",
    "標準",
    "独自",
    "汎用",
    "専用",
    "共通",
    "個別",
    "全体",
    "部分",
    "整合性",
    "冪等性",
    "可用性",
    "耐障害性",
    "後方互換",
];

const VERBS_JA: &[&str] = &[
    "導入しました",
    "検証しました",
    "改善しました",
    "移行しました",
    "計測しました",
    "見直しました",
    "自動化しました",
    "設計しました",
    "実装しました",
    "調査しました",
    "整理しました",
    "削減できました",
    "置き換えました",
    "共有します",
    "紹介します",
    "まとめます",
    "試してみました",
    "書き直しました",
];

const ADJ_JA: &[&str] = &[
    "高速",
    "安全",
    "簡単",
    "複雑",
    "便利",
    "重要",
    "不安定",
    "十分",
    "冗長",
    "明快",
    "厄介",
    "快適",
];

const NOUNS_EN: &[&str] = &[
    "cold start",
    "the build",
    "memory usage",
    "the pipeline",
    "our dashboard",
    "the scheduler",
    "tail latency",
    "the cache",
    "the index",
    "error budgets",
    "the release process",
    "code review",
    "the monorepo",
    "type safety",
    "backpressure",
    "the retry policy",
    "time zones",
    "the billing report",
    "observability",
    "the on-call rotation",
    "feature flags",
    "the API gateway",
    "schema migrations",
    "the font stack",
    "incident reviews",
    "load tests",
    "the storage layer",
    "dependency updates",
];

const VERBS_EN: &[&str] = &[
    "rewrote",
    "measured",
    "simplified",
    "migrated",
    "automated",
    "profiled",
    "replaced",
    "documented",
    "benchmarked",
    "refactored",
    "shipped",
    "debugged",
];

const ADJ_EN: &[&str] = &[
    "faster",
    "cheaper",
    "boring",
    "predictable",
    "surprising",
    "fragile",
    "simpler",
    "painful",
    "reliable",
    "noisy",
];

const WORDS: &[&str] = &[
    "user", "post", "author", "count", "month", "chart", "index", "client", "bucket", "key",
    "stream", "buffer", "reader", "writer", "config", "event", "handler", "request", "response",
    "cache", "store", "batch", "job", "task", "queue", "retry", "limit", "offset", "cursor",
    "token", "session", "region", "stage", "layer", "image", "digest", "manifest", "record",
    "field", "value", "total", "window", "span", "metric", "label", "series", "point", "width",
    "height", "scale", "font", "glyph", "path", "route", "state", "error", "result", "parse",
];

const HOSTS: &[&str] = &[
    "docs.rs",
    "github.com",
    "aws.amazon.com",
    "zenn.dev",
    "qiita.com",
    "developer.mozilla.org",
    "example.com",
    "speakerdeck.com",
];

const TAGS: &[&str] = &[
    "rust",
    "aws",
    "lambda",
    "s3",
    "cloudfront",
    "terraform",
    "cdk",
    "typescript",
    "react",
    "nextjs",
    "go",
    "python",
    "kotlin",
    "swift",
    "postgres",
    "mysql",
    "redis",
    "kubernetes",
    "docker",
    "ci",
    "github-actions",
    "observability",
    "sre",
    "security",
    "performance",
    "design",
    "testing",
    "career",
    "management",
    "event",
    "recruiting",
    "ml",
    "data",
    "frontend",
    "backend",
    "mobile",
    "infra",
    "新卒",
    "勉強会",
    "アドベントカレンダー",
];

/// Tags of one post (1–5, no repeats within a post).
pub(super) fn tags(rng: &mut impl Rng) -> Vec<&'static str> {
    let n = rng.random_range(1..=5);
    TAGS.choose_multiple(rng, n).copied().collect()
}

/// A title in the post's language.
pub(super) fn title(rng: &mut impl Rng, lang: Lang, out: &mut String) {
    match lang {
        Lang::Ja => {
            let n1 = pick(rng, NOUNS_JA);
            let n2 = pick(rng, NOUNS_JA);
            match rng.random_range(0..6) {
                0 => write!(out, "{n1}で{n2}を{}話", pick(rng, VERBS_JA)),
                1 => write!(out, "{n1}入門: {n2}まで"),
                2 => write!(out, "「{n1}」と{n2}の{}な関係", pick(rng, ADJ_JA)),
                3 => write!(out, "{n1}を{}%改善した方法", rng.random_range(10..95)),
                4 => write!(out, "{}年の{n1}振り返り", rng.random_range(2011..2026)),
                _ => write!(out, "{n1}の{}について", compound(rng)),
            }
        }
        Lang::En => {
            let n1 = pick(rng, NOUNS_EN);
            match rng.random_range(0..4) {
                0 => write!(out, "How we {} {n1}", pick(rng, VERBS_EN)),
                1 => write!(out, "Making {n1} {}", pick(rng, ADJ_EN)),
                2 => write!(out, "\"{n1}\" considered {}", pick(rng, ADJ_EN)),
                _ => write!(out, "{} lessons from {n1}", rng.random_range(3..12)),
            }
        }
    }
    .expect("writing to a String cannot fail");
}

/// The URL slug of a post (not an author slug; never validated by the job).
pub(super) fn post_slug(rng: &mut impl Rng, out: &mut String) {
    for _ in 0..rng.random_range(2..5) {
        out.push_str(pick(rng, WORDS));
        out.push('-');
    }
    write!(out, "{}", rng.random_range(100..100_000)).expect("String write");
}

/// The start of `body` for listings: its first line without markdown, at most 120
/// characters.
pub(super) fn excerpt(body: &str) -> &str {
    let first = body.lines().next().unwrap_or("");
    let first = first.trim_start_matches(['#', '>', '-', ' ', '`']);
    match first.char_indices().nth(120) {
        Some((end, _)) => &first[..end],
        None => first,
    }
}

/// A body length: log-normal around `mean` (σ 0.7), a few empty bodies.
pub(super) fn body_len(rng: &mut impl Rng, mean: usize) -> usize {
    if mean == 0 || rng.random_bool(0.005) {
        return 0;
    }
    const SIGMA: f64 = 0.7;
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let factor = (SIGMA * z - SIGMA * SIGMA / 2.0).exp().clamp(0.03, 15.0);
    // Blocks overshoot their target by about half a sentence.
    ((mean as f64 * factor) as usize).saturating_sub(30)
}

/// Append a markdown body of about `len` bytes (overshooting by at most one line).
pub(super) fn body(rng: &mut impl Rng, lang: Lang, len: usize, out: &mut String) {
    let end = out.len() + len;
    let mut first = true;
    while out.len() < end {
        if !first {
            out.push_str("\n\n");
        }
        first = false;
        match rng.random_range(0..20) {
            0..=1 => heading(rng, lang, out),
            2..=4 => code_block(rng, end, out),
            5 => list(rng, lang, end, out),
            6 => quote(rng, lang, out),
            _ => paragraph(rng, lang, end, out),
        }
    }
}

fn heading(rng: &mut impl Rng, lang: Lang, out: &mut String) {
    out.push_str(if rng.random_bool(0.7) { "## " } else { "### " });
    title(rng, lang, out);
}

fn paragraph(rng: &mut impl Rng, lang: Lang, end: usize, out: &mut String) {
    for _ in 0..rng.random_range(2..7) {
        if out.len() >= end {
            break;
        }
        sentence(rng, lang, out);
    }
}

fn list(rng: &mut impl Rng, lang: Lang, end: usize, out: &mut String) {
    for i in 0..rng.random_range(2..6) {
        if out.len() >= end {
            break;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(if rng.random_bool(0.8) { "- " } else { "1. " });
        sentence(rng, lang, out);
    }
}

fn quote(rng: &mut impl Rng, lang: Lang, out: &mut String) {
    out.push_str("> ");
    sentence(rng, lang, out);
}

fn sentence(rng: &mut impl Rng, lang: Lang, out: &mut String) {
    match lang {
        Lang::Ja => sentence_ja(rng, out),
        Lang::En => sentence_en(rng, out),
    }
    .expect("writing to a String cannot fail");
}

fn sentence_ja(rng: &mut impl Rng, out: &mut String) -> std::fmt::Result {
    let n1 = pick(rng, NOUNS_JA);
    let n2 = pick(rng, NOUNS_JA);
    match rng.random_range(0..14) {
        0 => write!(out, "{n1}を{}。", pick(rng, VERBS_JA)),
        1 => write!(
            out,
            "まず{n1}の{}を確認し、{n2}を{}。",
            compound(rng),
            pick(rng, VERBS_JA)
        ),
        2 => write!(
            out,
            "{n1}は{}ですが、{}には注意が必要です。",
            pick(rng, ADJ_JA),
            compound(rng)
        ),
        3 => write!(
            out,
            "結果として{n1}が{}.{}%改善しました。",
            rng.random_range(1..90),
            rng.random_range(0..10)
        ),
        4 => write!(
            out,
            "`{}` を使うと{n1}が{}になります。",
            ident(rng),
            pick(rng, ADJ_JA)
        ),
        5 => write!(
            out,
            "詳しくは「{n1}と{}」の節を参照してください。",
            compound(rng)
        ),
        6 => write!(
            out,
            "本番環境では{n1}に{}msほどかかっていました。",
            rng.random_range(3..9000)
        ),
        7 => write!(
            out,
            "[{n1}のドキュメント](https://{}/{}/{}) も参考になります。",
            pick(rng, HOSTS),
            ident(rng),
            hex(rng, 8)
        ),
        8 => write!(
            out,
            "{}の観点から、{n1}と{n2}を{}。",
            compound(rng),
            pick(rng, VERBS_JA)
        ),
        9 => write!(
            out,
            "設定では \"{}\": {} を指定します。",
            ident(rng),
            rng.random_range(0..100_000)
        ),
        10 => write!(
            out,
            "ログには C:\\work\\{}\\{}.log のようなパスが出ていました。",
            ident(rng),
            hex(rng, 6)
        ),
        11 => write!(
            out,
            "{n1}の{}は{}件、{n2}は{}件でした。",
            compound(rng),
            rng.random_range(1..5000),
            rng.random_range(1..5000)
        ),
        12 => write!(
            out,
            "Commit {} で{n1}を{}。",
            hex(rng, 7),
            pick(rng, VERBS_JA)
        ),
        _ => write!(
            out,
            "{}と{}を{n1}で{}。",
            compound(rng),
            compound(rng),
            pick(rng, VERBS_JA)
        ),
    }
}

fn sentence_en(rng: &mut impl Rng, out: &mut String) -> std::fmt::Result {
    let n1 = pick(rng, NOUNS_EN);
    let n2 = pick(rng, NOUNS_EN);
    match rng.random_range(0..9) {
        0 => write!(
            out,
            "We {} {n1} and it got {}. ",
            pick(rng, VERBS_EN),
            pick(rng, ADJ_EN)
        ),
        1 => write!(
            out,
            "After {} weeks, {n1} was {}% {}. ",
            rng.random_range(2..40),
            rng.random_range(3..97),
            pick(rng, ADJ_EN)
        ),
        2 => write!(
            out,
            "Calling `{}()` on {n2} returned {} items in {} ms. ",
            ident(rng),
            rng.random_range(0..100_000),
            rng.random_range(1..5000)
        ),
        3 => write!(
            out,
            "As the docs put it, \"{n1} is {} until it isn't\". ",
            pick(rng, ADJ_EN)
        ),
        4 => write!(
            out,
            "See [the notes](https://{}/{}/{}) for {n2}. ",
            pick(rng, HOSTS),
            ident(rng),
            hex(rng, 10)
        ),
        5 => write!(
            out,
            "The regex `^\\d{{4}}-\\d{{2}}$` matched {} of {} month keys. ",
            rng.random_range(0..999),
            rng.random_range(999..5000)
        ),
        6 => write!(
            out,
            "Commit {} {} {n1} for good. ",
            hex(rng, 7),
            pick(rng, VERBS_EN)
        ),
        7 => write!(
            out,
            "Nobody {} {n1}, so {n2} stayed {}. ",
            pick(rng, VERBS_EN),
            pick(rng, ADJ_EN)
        ),
        _ => write!(out, "{}: {n1} versus {n2}. ", ident(rng),),
    }
}

fn code_block(rng: &mut impl Rng, end: usize, out: &mut String) {
    let lang = *["rust", "bash", "json", "yaml", "sql", "makefile", ""]
        .choose(rng)
        .expect("non-empty");
    out.push_str("```");
    out.push_str(lang);
    for _ in 0..rng.random_range(3..14) {
        if out.len() >= end {
            break;
        }
        out.push('\n');
        code_line(rng, lang, out).expect("writing to a String cannot fail");
    }
    out.push_str("\n```");
}

fn code_line(rng: &mut impl Rng, lang: &str, out: &mut String) -> std::fmt::Result {
    let a = ident(rng);
    let b = ident(rng);
    let n = *[0, 1, 8, 10, 16, 32, 60, 100, 256, 1000, 1024, 3600, 8080]
        .choose(rng)
        .expect("non-empty");
    match lang {
        "rust" => match rng.random_range(0..4) {
            0 => write!(out, "let {a} = {b}.{}({n})?;", pick(rng, WORDS)),
            1 => write!(out, "    println!(\"{a}: {{}}\\n\", {b});"),
            2 => write!(
                out,
                "fn {a}(&self, {b}: u{}) -> Result<()> {{",
                8 << rng.random_range(0..4)
            ),
            _ => write!(out, "}} // {}", pick(rng, WORDS)),
        },
        "bash" => match rng.random_range(0..3) {
            0 => write!(
                out,
                "aws s3 cp s3://{a}-{}/{b}.jsonl.gz ./tmp/ --region ap-northeast-1",
                hex(rng, 6)
            ),
            1 => write!(out, "export {}=\"{b}\"", a.to_ascii_uppercase()),
            _ => write!(out, "cargo run --release -- --{a} {n} | grep '\\t{b}'"),
        },
        "json" => write!(
            out,
            "  \"{a}\": {{\"{b}\": {n}, \"id\": \"{}\"}},",
            hex(rng, 6)
        ),
        "yaml" => write!(out, "{a}:\n  {b}: {n}\n  digest: sha256:{}", hex(rng, 8)),
        "sql" => write!(
            out,
            "SELECT {a}, count(*) FROM {b} WHERE created_at > '2024-0{}-01' GROUP BY {a};",
            rng.random_range(1..10)
        ),
        "makefile" => write!(
            out,
            "{a}: {b}.o\n\t$(CC) -o $@ $^ -O{}",
            rng.random_range(0..4)
        ),
        _ => write!(out, "{a} {b} {n}"),
    }
}

fn pick(rng: &mut impl Rng, list: &[&'static str]) -> &'static str {
    list[rng.random_range(0..list.len())]
}

fn compound(rng: &mut impl Rng) -> &'static str {
    pick(rng, COMPOUNDS)
}

/// A snake_case identifier of one to three words, sometimes with a number.
fn ident(rng: &mut impl Rng) -> String {
    let mut s = String::from(pick(rng, WORDS));
    for _ in 0..rng.random_range(0..3) {
        s.push('_');
        s.push_str(pick(rng, WORDS));
    }
    if rng.random_bool(0.2) {
        write!(s, "{}", rng.random_range(0..100)).expect("String write");
    }
    s
}

/// `len` random lowercase hex digits.
pub(super) fn hex(rng: &mut impl Rng, len: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..len)
        .map(|_| DIGITS[rng.random_range(0..16)] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn bodies_average_close_to_the_requested_length() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut total = 0usize;
        let n = 2000;
        for _ in 0..n {
            let mut s = String::new();
            let lang = Lang::random(&mut rng);
            let len = body_len(&mut rng, 3000);
            body(&mut rng, lang, len, &mut s);
            total += s.len();
        }
        let mean = total / n;
        assert!((2700..3300).contains(&mean), "mean body length {mean}");
    }

    #[test]
    fn bodies_contain_characters_that_json_must_escape() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let mut s = String::new();
        for _ in 0..50 {
            body(&mut rng, Lang::Ja, 3000, &mut s);
        }
        for c in ['\n', '"', '\\', '\t'] {
            assert!(s.contains(c), "no {c:?}");
        }
        assert!(!s.is_ascii());
    }
}
