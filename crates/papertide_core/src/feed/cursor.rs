//! [`FeedCursor`]: a position in a sorted feed, and its opaque, URL-safe text form.
//!
//! The text is unpadded URL-safe base64 of a small `|`-separated record (sort, key, paper
//! id); parsing is strict, so anything a client made up is rejected with
//! [`FeedParseError::BadCursor`] instead of silently paging somewhere odd.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::id::PaperId;

use super::{FeedParseError, FeedSort};

/// Longest cursor text accepted (paper ids are at most 256 bytes).
const MAX_CURSOR_CHARS: usize = 512;

/// A position in a feed sorted by one [`FeedSort`]: the sort key of the last item shown
/// and its paper id (the tie-break). The next page holds the items after it.
///
/// Cursors also order items: [`FeedCursor::cmp_position`] is the feed's order.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedCursor {
    /// Most upvotes first, then paper id.
    Upvotes {
        /// The item's upvotes.
        upvotes: i64,
        /// Its paper.
        paper: PaperId,
    },
    /// Highest [`super::trending_score`] first, then paper id. Scores depend on the time
    /// they are computed at; `at` keeps that time so every page of one walk uses the same.
    Trending {
        /// The reference time of the scores, unix seconds.
        at: i64,
        /// The item's score.
        score: f64,
        /// Its paper.
        paper: PaperId,
    },
    /// Latest submission first, then paper id.
    Newest {
        /// When the item was submitted, unix seconds.
        submitted_at: i64,
        /// Its paper.
        paper: PaperId,
    },
}

impl FeedCursor {
    /// The sort this cursor belongs to.
    pub fn sort(&self) -> FeedSort {
        match self {
            FeedCursor::Upvotes { .. } => FeedSort::Upvotes,
            FeedCursor::Trending { .. } => FeedSort::Trending,
            FeedCursor::Newest { .. } => FeedSort::Newest,
        }
    }

    /// The paper at this position.
    pub fn paper(&self) -> &PaperId {
        match self {
            FeedCursor::Upvotes { paper, .. }
            | FeedCursor::Trending { paper, .. }
            | FeedCursor::Newest { paper, .. } => paper,
        }
    }

    /// Compares two positions in feed order (`Less`: `self` is shown first). Positions of
    /// different sorts compare by sort only, which no caller should rely on.
    pub fn cmp_position(&self, other: &FeedCursor) -> Ordering {
        use FeedCursor::*;
        let by_key = match (self, other) {
            (Upvotes { upvotes: a, .. }, Upvotes { upvotes: b, .. }) => b.cmp(a),
            (Trending { score: a, .. }, Trending { score: b, .. }) => b.total_cmp(a),
            (Newest { submitted_at: a, .. }, Newest { submitted_at: b, .. }) => b.cmp(a),
            _ => return rank(self).cmp(&rank(other)),
        };
        by_key.then_with(|| self.paper().cmp(other.paper()))
    }

    fn record(&self) -> String {
        match self {
            FeedCursor::Upvotes { upvotes, paper } => format!("u|{upvotes}|{paper}"),
            FeedCursor::Trending { at, score, paper } => format!("t|{at}|{:x}|{paper}", score.to_bits()),
            FeedCursor::Newest { submitted_at, paper } => format!("n|{submitted_at}|{paper}"),
        }
    }
}

fn rank(c: &FeedCursor) -> u8 {
    match c {
        FeedCursor::Upvotes { .. } => 0,
        FeedCursor::Trending { .. } => 1,
        FeedCursor::Newest { .. } => 2,
    }
}

impl fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base64url_encode(self.record().as_bytes()))
    }
}

fn bad(reason: &'static str) -> FeedParseError {
    FeedParseError::BadCursor(reason)
}

fn parse_record(record: &str) -> Result<FeedCursor, FeedParseError> {
    let int = |s: &str| -> Result<i64, FeedParseError> {
        if s.is_empty() || s.len() > 20 || !s.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("bad number"));
        }
        s.parse().map_err(|_| bad("bad number"))
    };
    let id = |s: &str| -> Result<PaperId, FeedParseError> { s.parse().map_err(|_| bad("bad paper id")) };
    let mut parts = record.splitn(3, '|');
    let (Some(tag), Some(key), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("too few fields"));
    };
    match tag {
        "u" => Ok(FeedCursor::Upvotes { upvotes: int(key)?, paper: id(rest)? }),
        "n" => Ok(FeedCursor::Newest { submitted_at: int(key)?, paper: id(rest)? }),
        "t" => {
            let (bits, paper) = rest.split_once('|').ok_or_else(|| bad("too few fields"))?;
            if bits.is_empty() || bits.len() > 16 {
                return Err(bad("bad score"));
            }
            let score = f64::from_bits(u64::from_str_radix(bits, 16).map_err(|_| bad("bad score"))?);
            if !score.is_finite() || score < 0.0 {
                return Err(bad("bad score"));
            }
            Ok(FeedCursor::Trending { at: int(key)?, score, paper: id(paper)? })
        }
        _ => Err(bad("unknown sort")),
    }
}

impl FromStr for FeedCursor {
    type Err = FeedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > MAX_CURSOR_CHARS {
            return Err(bad("empty or too long"));
        }
        let bytes = base64url_decode(s).ok_or_else(|| bad("not base64url"))?;
        let record = String::from_utf8(bytes).map_err(|_| bad("not text"))?;
        parse_record(&record)
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded URL-safe base64 (RFC 4648 §5).
fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes unpadded URL-safe base64; `None` for anything not in canonical form (other
/// characters, impossible lengths, non-zero trailing bits).
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        let unused_bits = 24 - 8 * produced;
        if unused_bits > 0 && n & ((1 << unused_bits) - 1) != 0 {
            return None;
        }
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> PaperId {
        s.parse().unwrap()
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        for (plain, encoded) in
            [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("\u{ff}\u{fe}", "w7_Dvg")]
        {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(base64url_decode("Zh"), None, "non-zero trailing bits");
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zm9v="), None);
    }

    #[test]
    fn cursors_are_url_safe_and_round_trip() {
        let c = FeedCursor::Trending { at: 1_700_000_000, score: 0.125, paper: id("doi:10.1145/359340.359342") };
        let text = c.to_string();
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
        assert_eq!(text.parse::<FeedCursor>(), Ok(c));
        let n = FeedCursor::Newest { submitted_at: -5, paper: id("hep-th/9901001") };
        assert_eq!(n.to_string().parse::<FeedCursor>(), Ok(n));
    }

    #[test]
    fn garbage_is_rejected() {
        let enc = |s: &str| base64url_encode(s.as_bytes());
        for bad in [
            String::new(),
            "!!!".into(),
            "a b".into(),
            "x".repeat(600),
            enc("u|5"),
            enc("u|five|2401.00001"),
            enc("u|5|not an id"),
            enc("z|5|2401.00001"),
            enc("t|1|7ff8000000000000|2401.00001"),
            enc("t|1|bff0000000000000|2401.00001"),
            enc("t|1|2401.00001"),
            enc("n|99999999999999999999999|2401.00001"),
        ] {
            assert!(bad.parse::<FeedCursor>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn positions_follow_the_feed_order() {
        let u = |n, p: &str| FeedCursor::Upvotes { upvotes: n, paper: id(p) };
        assert_eq!(u(5, "2401.00002").cmp_position(&u(3, "2401.00001")), Ordering::Less, "more votes first");
        assert_eq!(u(3, "2401.00001").cmp_position(&u(3, "2401.00002")), Ordering::Less, "ties by paper id");
        let n = |t, p: &str| FeedCursor::Newest { submitted_at: t, paper: id(p) };
        assert_eq!(n(10, "2401.00002").cmp_position(&n(9, "2401.00001")), Ordering::Less, "newest first");
    }

    fn arb_cursor() -> impl Strategy<Value = FeedCursor> {
        let paper = prop_oneof![
            (1000u32..9999, 0u32..99999).prop_map(|(a, b)| format!("{a:04}.{b:05}")),
            "[a-z0-9./]{1,30}".prop_map(|v| format!("doi:10.{v}")),
        ]
        .prop_filter_map("valid id", |s| s.parse::<PaperId>().ok());
        prop_oneof![
            (any::<i64>(), paper.clone()).prop_map(|(upvotes, paper)| FeedCursor::Upvotes { upvotes, paper }),
            (any::<i64>(), 0.0f64..1e9, paper.clone()).prop_map(|(at, score, paper)| FeedCursor::Trending {
                at,
                score,
                paper
            }),
            (any::<i64>(), paper).prop_map(|(submitted_at, paper)| FeedCursor::Newest { submitted_at, paper }),
        ]
    }

    proptest! {
        #[test]
        fn cursor_round_trips(c in arb_cursor()) {
            let text = c.to_string();
            prop_assert_eq!(text.parse::<FeedCursor>(), Ok(c));
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,80}", bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = s.parse::<FeedCursor>();
            if let Ok(c) = base64url_encode(&bytes).parse::<FeedCursor>() {
                // Whatever decodes must be a cursor that prints back to a cursor equal to it.
                prop_assert_eq!(c.to_string().parse::<FeedCursor>(), Ok(c));
            }
        }

        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(base64url_decode(&base64url_encode(&bytes)), Some(bytes));
        }
    }
}
