//! Who the sample authors are: Japanese and English names, how they are displayed and the
//! slugs derived from them, plus Contentful-style random base62 ids.
//! Owns only identity text; activity over time lives in `cast.rs`, bad names in
//! `dirty_authors.rs`.

use std::collections::HashSet;

use rand::seq::IndexedRandom;
use rand::Rng;

/// Japanese surnames: (kanji, romaji).
const JA_SURNAMES: &[(&str, &str)] = &[
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("斎藤", "saito"),
    ("清水", "shimizu"),
    ("山崎", "yamazaki"),
    ("森", "mori"),
    ("池田", "ikeda"),
    ("橋本", "hashimoto"),
    ("阿部", "abe"),
    ("石川", "ishikawa"),
    ("山下", "yamashita"),
    ("中島", "nakajima"),
    ("石井", "ishii"),
    ("小川", "ogawa"),
    ("前田", "maeda"),
    ("岡田", "okada"),
    ("長谷川", "hasegawa"),
    ("藤田", "fujita"),
    ("後藤", "goto"),
    ("近藤", "kondo"),
    ("村上", "murakami"),
    ("遠藤", "endo"),
    ("青木", "aoki"),
    ("坂本", "sakamoto"),
    ("福田", "fukuda"),
    ("太田", "ota"),
    ("西村", "nishimura"),
    ("藤井", "fujii"),
    ("金子", "kaneko"),
    ("岡本", "okamoto"),
    ("藤原", "fujiwara"),
    ("中野", "nakano"),
    ("三浦", "miura"),
    ("原田", "harada"),
    ("中川", "nakagawa"),
    ("松田", "matsuda"),
    ("竹内", "takeuchi"),
    ("小野", "ono"),
    ("田村", "tamura"),
    ("中山", "nakayama"),
    ("和田", "wada"),
    ("石田", "ishida"),
    ("森田", "morita"),
    ("上田", "ueda"),
    ("原", "hara"),
    ("内田", "uchida"),
    ("柴田", "shibata"),
    ("酒井", "sakai"),
    ("工藤", "kudo"),
    ("横山", "yokoyama"),
    ("宮崎", "miyazaki"),
    ("宮本", "miyamoto"),
    ("高木", "takagi"),
    ("安藤", "ando"),
    ("島田", "shimada"),
    ("谷口", "taniguchi"),
    ("大塚", "otsuka"),
    ("渡部", "watabe"),
    ("菅原", "sugawara"),
];

/// Japanese given names: (kanji or kana, romaji).
const JA_GIVEN: &[(&str, &str)] = &[
    ("亮", "ryo"),
    ("花子", "hanako"),
    ("太郎", "taro"),
    ("翔太", "shota"),
    ("大輔", "daisuke"),
    ("健太", "kenta"),
    ("拓也", "takuya"),
    ("直樹", "naoki"),
    ("陽菜", "hina"),
    ("結衣", "yui"),
    ("さくら", "sakura"),
    ("美咲", "misaki"),
    ("葵", "aoi"),
    ("蓮", "ren"),
    ("悠真", "yuma"),
    ("湊", "minato"),
    ("陽翔", "haruto"),
    ("優子", "yuko"),
    ("恵", "megumi"),
    ("愛", "ai"),
    ("真由美", "mayumi"),
    ("健一", "kenichi"),
    ("誠", "makoto"),
    ("学", "manabu"),
    ("浩", "hiroshi"),
    ("隆", "takashi"),
    ("智子", "tomoko"),
    ("由美", "yumi"),
    ("和也", "kazuya"),
    ("達也", "tatsuya"),
    ("雄一", "yuichi"),
    ("美穂", "miho"),
    ("彩", "aya"),
    ("舞", "mai"),
    ("千尋", "chihiro"),
    ("光", "hikaru"),
    ("渚", "nagisa"),
    ("潤", "jun"),
    ("剛", "tsuyoshi"),
    ("修", "osamu"),
    ("聡", "satoshi"),
    ("彩花", "ayaka"),
    ("七海", "nanami"),
    ("遥", "haruka"),
    ("陸", "riku"),
    ("颯太", "sota"),
    ("樹", "itsuki"),
    ("みゆき", "miyuki"),
    ("しおり", "shiori"),
    ("圭", "kei"),
];

/// English given names.
const EN_GIVEN: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Chris",
    "Karen",
    "Daniel",
    "Emily",
    "Matthew",
    "Olivia",
    "Anthony",
    "Emma",
    "Mark",
    "Sophia",
    "Paul",
    "Grace",
    "Steven",
    "Chloe",
    "Andrew",
    "Hannah",
    "Kevin",
    "Laura",
    "Brian",
    "Rachel",
    "Jane",
    "Alex",
    "Sam",
    "Priya",
    "Wei",
    "Ana",
    "Lucas",
    "Mateo",
    "Noah",
    "Liam",
    "Zoe",
    "Min-jun",
];

/// English surnames: (display, ASCII for slugs).
const EN_SURNAMES: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Garcia", "garcia"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Rodriguez", "rodriguez"),
    ("Martinez", "martinez"),
    ("Wilson", "wilson"),
    ("Anderson", "anderson"),
    ("Taylor", "taylor"),
    ("Moore", "moore"),
    ("Jackson", "jackson"),
    ("Martin", "martin"),
    ("Lee", "lee"),
    ("Thompson", "thompson"),
    ("White", "white"),
    ("Harris", "harris"),
    ("Clark", "clark"),
    ("Lewis", "lewis"),
    ("Walker", "walker"),
    ("Young", "young"),
    ("King", "king"),
    ("Wright", "wright"),
    ("Scott", "scott"),
    ("Green", "green"),
    ("Baker", "baker"),
    ("Adams", "adams"),
    ("Nelson", "nelson"),
    ("Campbell", "campbell"),
    ("Mitchell", "mitchell"),
    ("Carter", "carter"),
    ("Evans", "evans"),
    ("Turner", "turner"),
    ("Doe", "doe"),
    ("O'Brien", "obrien"),
    ("Nguyen", "nguyen"),
    ("Kim", "kim"),
    ("Chen", "chen"),
    ("Patel", "patel"),
    ("Müller", "muller"),
    ("Núñez", "nunez"),
    ("Søndergaard", "sondergaard"),
];

/// A sample author's identity: what the master file says about them.
#[derive(Debug, Clone)]
pub(super) struct Identity {
    pub display_name: String,
    pub slug: String,
}

/// Hands out identities with slugs unique within one data set.
#[derive(Debug, Default)]
pub(super) struct Registry {
    slugs: HashSet<String>,
    ids: HashSet<String>,
}

impl Registry {
    /// A fresh person with a valid slug no earlier call returned.
    pub(crate) fn person(&mut self, rng: &mut impl Rng) -> Identity {
        let (display_name, candidates) = if rng.random_bool(0.72) {
            japanese(rng)
        } else {
            english(rng)
        };
        let base = candidates
            .choose(rng)
            .cloned()
            .unwrap_or_else(|| "author".to_owned());
        let slug = self.unique_slug(&base);
        Identity { display_name, slug }
    }

    /// `base`, or `base2`, `base3` … whichever is free first; reserves it.
    pub(crate) fn unique_slug(&mut self, base: &str) -> String {
        let mut n = 1usize;
        loop {
            let slug = if n == 1 {
                base.to_owned()
            } else {
                format!("{base}{n}")
            };
            if !self.slugs.contains(&slug) {
                self.slugs.insert(slug.clone());
                return slug;
            }
            n += 1;
        }
    }

    /// A fresh 22-character base62 id not handed out before.
    pub(crate) fn id(&mut self, rng: &mut impl Rng) -> String {
        loop {
            let id = base62_id(rng);
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// Whether an id was handed out or reserved before.
    pub(crate) fn has_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// Reserve an id chosen by hand (e.g. a deliberate unknown id) so no author gets it.
    pub(crate) fn reserve_id(&mut self, id: &str) {
        self.ids.insert(id.to_owned());
    }
}

/// 22 random characters of `[0-9A-Za-z]`, like a Contentful entry id.
pub(super) fn base62_id(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..22)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Whether `s` is a valid slug per data-spec §3.2: `^[a-z0-9][a-z0-9_-]{0,63}$`.
pub(super) fn is_valid_slug(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

fn japanese(rng: &mut impl Rng) -> (String, Vec<String>) {
    let &(sk, sr) = JA_SURNAMES.choose(rng).expect("surname list is not empty");
    let &(gk, gr) = JA_GIVEN.choose(rng).expect("given-name list is not empty");
    let display = match rng.random_range(0..100) {
        0..=49 => format!("{sk} {gk}"),
        50..=71 => format!("{sk}\u{3000}{gk}"),
        72..=86 => format!("{sk}{gk}"),
        87..=95 => format!("{} {}", capitalise(gr), capitalise(sr)),
        _ => format!("{gr}_{sr}"),
    };
    let initial = &gr[..1];
    let candidates = vec![
        format!("{sr}-{gr}"),
        format!("{sr}-{gr}"),
        format!("{gr}-{sr}"),
        format!("{sr}_{gr}"),
        format!("{initial}{sr}"),
        format!("dev-{gr}"),
        format!("{gr}{sr}"),
    ];
    (display, candidates)
}

fn english(rng: &mut impl Rng) -> (String, Vec<String>) {
    let first = *EN_GIVEN.choose(rng).expect("given-name list is not empty");
    let &(last, last_ascii) = EN_SURNAMES.choose(rng).expect("surname list is not empty");
    let display = match rng.random_range(0..10) {
        0..=7 => format!("{first} {last}"),
        8 => format!("{first} {}.", &last[..1]),
        _ => first.to_owned(),
    };
    let f = first.to_ascii_lowercase();
    let initial = &f[..1];
    let candidates = vec![
        format!("{f}-{last_ascii}"),
        format!("{f}-{last_ascii}"),
        format!("{f}_{last_ascii}"),
        format!("{f}{last_ascii}"),
        format!("{initial}{last_ascii}"),
        format!("{f}-dev"),
    ];
    (display, candidates)
}

fn capitalise(s: &str) -> String {
    let mut out = s[..1].to_ascii_uppercase();
    out.push_str(&s[1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_generated_slug_is_valid_and_unique() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut registry = Registry::default();
        let mut seen = HashSet::new();
        for _ in 0..3000 {
            let person = registry.person(&mut rng);
            assert!(is_valid_slug(&person.slug), "{}", person.slug);
            assert!(
                seen.insert(person.slug.clone()),
                "duplicate {}",
                person.slug
            );
            assert!(!person.display_name.is_empty());
        }
    }

    #[test]
    fn slug_validity_follows_the_contract_examples() {
        for ok in ["suzuki-ryo", "jane_doe", "dev-taro2", "7", &"a".repeat(64)] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "../evil",
            "a/b",
            "UPPER case",
            ".hidden",
            "-dash-first",
            "_x",
            "すずき",
            "a\u{1}b",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn ids_are_22_base62_characters() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let id = base62_id(&mut rng);
        assert_eq!(id.len(), 22);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
