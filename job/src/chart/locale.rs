//! Every word and number format of the chart and its summary, one table per locale. No
//! other module holds a user-visible string. Patterns use `{name}` placeholders; numbers
//! are grouped by thousands with `,` in both locales.

use super::style::Locale;
use crate::month::MonthKey;

/// The words of one locale.
pub(crate) struct Table {
    /// Short month names on the x axis.
    month: [&'static str; 12],
    /// A year on the x axis: `{y}`.
    year: &'static str,
    /// A month with its year: `{y}`, `{m}` (number), `{mon}` (short name).
    month_year: &'static str,
    /// The note by the month in progress: `{mon}` (short name, no year and no day, so
    /// the picture is the same on every day of the month).
    in_progress: &'static str,
    /// An SVG bar's hover text, singular and plural: `{month}` (a `month_year`), `{n}`.
    bar_title: [&'static str; 2],
    /// Appended to it: the trend's value at that month, `{avg}`; for the month in progress
    /// (no trend value), that it is in progress.
    bar_trend: &'static str,
    bar_in_progress: &'static str,
    /// Subtitle, singular and plural: `{n}` posts since `{since}` (a `month_year`).
    since: [&'static str; 2],
    /// Subtitle of a one-month chart: `{n}` posts in `{month}`.
    within: [&'static str; 2],
    /// Legend: the bars, the trend line.
    pub(crate) legend_bars: &'static str,
    pub(crate) legend_trend: &'static str,
    /// Summary, first sentence: `{name}`, `{n}`, `{since}` / `{month}`.
    summary_since: [&'static str; 2],
    summary_within: [&'static str; 2],
    /// Summary, second sentence: the trend at the last complete month, `{avg}` over `{k}`
    /// months (k = 1, k > 1).
    summary_average: [&'static str; 2],
    /// Between the two sentences.
    sentence_gap: &'static str,
    thousands: char,
    decimal: char,
}

const JA: Table = Table {
    month: [
        "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
    ],
    year: "{y}年",
    month_year: "{y}年{m}月",
    in_progress: "{mon}（集計中）",
    bar_title: ["{month}: {n}件", "{month}: {n}件"],
    bar_trend: "（12か月平均{avg}）",
    bar_in_progress: "（集計中）",
    since: ["{since}から{n}件", "{since}から{n}件"],
    within: ["{month}に{n}件", "{month}に{n}件"],
    legend_bars: "月ごとの投稿数",
    legend_trend: "12か月平均",
    summary_since: [
        "{name}さんは{since}から{n}件の記事を書いています。",
        "{name}さんは{since}から{n}件の記事を書いています。",
    ],
    summary_within: [
        "{name}さんは{month}に{n}件の記事を書いています。",
        "{name}さんは{month}に{n}件の記事を書いています。",
    ],
    summary_average: [
        "直近1か月は月平均{avg}件です。",
        "直近{k}か月は月平均{avg}件です。",
    ],
    sentence_gap: "",
    thousands: ',',
    decimal: '.',
};

const EN: Table = Table {
    month: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    year: "{y}",
    month_year: "{mon} {y}",
    in_progress: "{mon} (in progress)",
    bar_title: ["{month}: {n} post", "{month}: {n} posts"],
    bar_trend: " (12-month avg {avg})",
    bar_in_progress: " (in progress)",
    since: ["{n} post since {since}", "{n} posts since {since}"],
    within: ["{n} post in {month}", "{n} posts in {month}"],
    legend_bars: "Posts per month",
    legend_trend: "12-month average",
    summary_since: [
        "{name} has written {n} post since {since}.",
        "{name} has written {n} posts since {since}.",
    ],
    summary_within: [
        "{name} has written {n} post in {month}.",
        "{name} has written {n} posts in {month}.",
    ],
    summary_average: [
        "Over the last month that is {avg} posts a month.",
        "Over the last {k} months that is {avg} posts a month on average.",
    ],
    sentence_gap: " ",
    thousands: ',',
    decimal: '.',
};

/// The table of `locale`.
pub(crate) fn table(locale: Locale) -> &'static Table {
    match locale {
        Locale::Ja => &JA,
        Locale::En => &EN,
    }
}

/// `pattern` with each `{key}` replaced by its value, in one pass (a value that contains
/// `{…}`, such as a display name, is never expanded itself).
fn fill(pattern: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let key = after
            .find('}')
            .map(|close| (&after[..close], &after[close + 1..]));
        match key.and_then(|(k, tail)| values.iter().find(|(n, _)| *n == k).map(|v| (v.1, tail))) {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn plural(n: u64) -> usize {
    usize::from(n != 1)
}

impl Table {
    /// Short name of month `m` (1..=12).
    pub(crate) fn month_name(&self, m: u32) -> &'static str {
        self.month[(m as usize - 1) % 12]
    }

    pub(crate) fn months(&self) -> &[&'static str; 12] {
        &self.month
    }

    pub(crate) fn year(&self, y: i64) -> String {
        fill(self.year, &[("y", &y.to_string())])
    }

    pub(crate) fn month_year(&self, month: MonthKey) -> String {
        fill(
            self.month_year,
            &[
                ("y", &month.year.to_string()),
                ("m", &month.month.to_string()),
                ("mon", self.month_name(month.month)),
            ],
        )
    }

    /// The note by the month in progress: "11月（集計中）" / "Nov (in progress)".
    pub(crate) fn in_progress(&self, month: MonthKey) -> String {
        fill(self.in_progress, &[("mon", self.month_name(month.month))])
    }

    /// The hover text of a month's bar: "2025年3月: 6件" / "Mar 2025: 6 posts", then the
    /// trend's value at that month, "（12か月平均4.2）" / " (12-month avg 4.2)", or for the
    /// month in progress (`trend` `None`) "（集計中）" / " (in progress)".
    pub(crate) fn bar_title(&self, month: MonthKey, count: u32, trend: Option<f64>) -> String {
        let mut title = fill(
            self.bar_title[plural(u64::from(count))],
            &[
                ("month", &self.month_year(month)),
                ("n", &self.count(u64::from(count))),
            ],
        );
        match trend {
            Some(avg) => title.push_str(&fill(self.bar_trend, &[("avg", &self.decimal(avg, 1))])),
            None => title.push_str(self.bar_in_progress),
        }
        title
    }

    /// "2015年2月から898件" / "898 posts since Feb 2015"; one month: "… in Nov 2025".
    pub(crate) fn posts(&self, total: u64, first: MonthKey, months: usize) -> String {
        let n = self.count(total);
        let month = self.month_year(first);
        if months == 1 {
            fill(self.within[plural(total)], &[("n", &n), ("month", &month)])
        } else {
            fill(self.since[plural(total)], &[("n", &n), ("since", &month)])
        }
    }

    /// One or two sentences for alt text: the total, and the average of the last `k`
    /// complete months when there is one.
    pub(crate) fn summary(
        &self,
        name: &str,
        total: u64,
        first: MonthKey,
        months: usize,
        average: Option<(usize, f64)>,
    ) -> String {
        let n = self.count(total);
        let month = self.month_year(first);
        let values = [
            ("name", name),
            ("n", n.as_str()),
            ("since", &month),
            ("month", &month),
        ];
        let mut out = if months == 1 {
            fill(self.summary_within[plural(total)], &values)
        } else {
            fill(self.summary_since[plural(total)], &values)
        };
        if let Some((k, avg)) = average {
            out.push_str(self.sentence_gap);
            out.push_str(&fill(
                self.summary_average[usize::from(k != 1)],
                &[("k", &k.to_string()), ("avg", &self.decimal(avg, 1))],
            ));
        }
        out
    }

    /// `1234567` → `"1,234,567"`.
    pub(crate) fn count(&self, n: u64) -> String {
        let digits = n.to_string();
        // The first group has 1–3 digits, every later one exactly 3.
        let head = match digits.len() % 3 {
            0 => 3,
            r => r,
        }
        .min(digits.len());
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        out.push_str(&digits[..head]);
        for group in digits.as_bytes()[head..].chunks(3) {
            out.push(self.thousands);
            out.extend(group.iter().map(|&b| char::from(b)));
        }
        out
    }

    /// `value` with `places` decimals and grouped thousands: `1234.56` → `"1,234.6"`.
    pub(crate) fn decimal(&self, value: f64, places: usize) -> String {
        let text = format!("{:.*}", places, value.max(0.0));
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = self.count(whole.parse().unwrap_or(u64::MAX));
        if !fraction.is_empty() {
            out.push(self.decimal);
            out.push_str(fraction);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_subtitle_counts_from_the_first_month() {
        assert_eq!(
            JA.posts(898, MonthKey::new(2015, 2), 130),
            "2015年2月から898件"
        );
        assert_eq!(JA.posts(4, MonthKey::new(2025, 11), 1), "2025年11月に4件");
    }

    #[test]
    fn english_subtitle_has_singular_and_plural() {
        assert_eq!(
            EN.posts(898, MonthKey::new(2015, 2), 130),
            "898 posts since Feb 2015"
        );
        assert_eq!(
            EN.posts(1, MonthKey::new(2015, 2), 130),
            "1 post since Feb 2015"
        );
        assert_eq!(
            EN.posts(1, MonthKey::new(2025, 11), 1),
            "1 post in Nov 2025"
        );
    }

    #[test]
    fn axis_words_follow_the_locale() {
        assert_eq!((JA.month_name(1), JA.year(2015)), ("1月", "2015年".into()));
        assert_eq!((EN.month_name(12), EN.year(2015)), ("Dec", "2015".into()));
    }

    #[test]
    fn the_month_in_progress_is_named_without_a_date() {
        assert_eq!(JA.in_progress(MonthKey::new(2025, 11)), "11月（集計中）");
        assert_eq!(EN.in_progress(MonthKey::new(2025, 11)), "Nov (in progress)");
    }

    #[test]
    fn hover_texts_follow_the_locale() {
        let march = MonthKey::new(2025, 3);
        assert_eq!(
            JA.bar_title(march, 6, Some(4.24)),
            "2025年3月: 6件（12か月平均4.2）"
        );
        assert_eq!(
            EN.bar_title(march, 6, Some(12.0)),
            "Mar 2025: 6 posts (12-month avg 12.0)"
        );
        assert_eq!(
            EN.bar_title(march, 1, Some(1.0)),
            "Mar 2025: 1 post (12-month avg 1.0)"
        );
        assert_eq!(
            JA.bar_title(march, 1234, None),
            "2025年3月: 1,234件（集計中）"
        );
        assert_eq!(
            EN.bar_title(march, 4, None),
            "Mar 2025: 4 posts (in progress)"
        );
    }

    #[test]
    fn legends_follow_the_locale() {
        assert_eq!(
            (JA.legend_bars, JA.legend_trend),
            ("月ごとの投稿数", "12か月平均")
        );
        assert_eq!(
            (EN.legend_bars, EN.legend_trend),
            ("Posts per month", "12-month average")
        );
    }

    #[test]
    fn numbers_are_grouped_in_both_locales() {
        for t in [&JA, &EN] {
            assert_eq!(t.count(0), "0");
            assert_eq!(t.count(999), "999");
            assert_eq!(t.count(1234), "1,234");
            assert_eq!(t.count(4_294_967_295), "4,294,967,295");
            assert_eq!(t.decimal(1234.56, 1), "1,234.6");
            assert_eq!(t.decimal(3.0, 1), "3.0");
        }
    }

    #[test]
    fn japanese_summary_is_the_alt_text_sentence() {
        let s = JA.summary(
            "山田太郎",
            898,
            MonthKey::new(2015, 2),
            130,
            Some((12, 3.2)),
        );
        assert_eq!(
            s,
            "山田太郎さんは2015年2月から898件の記事を書いています。直近12か月は月平均3.2件です。"
        );
    }

    #[test]
    fn a_name_with_braces_is_not_expanded() {
        let s = EN.summary("{n} {since}", 2, MonthKey::new(2025, 11), 1, None);
        assert_eq!(s, "{n} {since} has written 2 posts in Nov 2025.");
    }

    #[test]
    fn english_summary_without_a_complete_month_has_one_sentence() {
        let s = EN.summary("Alice", 2, MonthKey::new(2025, 11), 1, None);
        assert_eq!(s, "Alice has written 2 posts in Nov 2025.");
        let s = EN.summary(
            "Alice",
            1_234,
            MonthKey::new(2015, 2),
            130,
            Some((12, 3.24)),
        );
        assert_eq!(
            s,
            "Alice has written 1,234 posts since Feb 2015. Over the last 12 months that is 3.2 \
             posts a month on average."
        );
    }
}
