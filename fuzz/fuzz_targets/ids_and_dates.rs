//! Fuzzes id parsing and date parsing: no panics, and every parsed id round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use papertide_core::{ArxivId, PaperId};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(id) = s.parse::<ArxivId>() {
        assert_eq!(id.to_string().parse::<ArxivId>().ok(), Some(id));
    }
    if let Ok(id) = s.parse::<PaperId>() {
        assert_eq!(id.to_string().parse::<PaperId>().ok(), Some(id));
    }
    let _ = papertide_ingest::dates::parse_date(s);
});
