//! Unit tests of the shared header parsing.

use super::*;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

#[test]
fn header_fields_and_continuations() {
    let h = Header::parse(&lines(
        "arXiv:hep-th/9901001\nFrom: Y <a@b>\nDate: Fri, 1 Jan 1999 01:01:10 GMT   (15kb)\n\
         Date (revised v2): Tue, 5 Jan 1999 21:36:42 GMT   (15kb)\n\nTitle: String Junctions\n  and Duals\n\
         Authors: A. One,\n  B. Two\nCategories: hep-th\nMSC-class: 14F05\n  (Primary)\nDOI: 10.1/x\n",
    ));
    assert_eq!(h.id.as_deref(), Some("hep-th/9901001"));
    assert_eq!(h.dates.len(), 2);
    assert_eq!(h.max_revision, 2);
    assert_eq!(h.title.as_deref(), Some("String Junctions and Duals"));
    assert_eq!(h.authors.as_deref(), Some("A. One, B. Two"));
    assert_eq!(h.doi.as_deref(), Some("10.1/x"));
    assert!(!h.cross_listing);
}

#[test]
fn id_line_forms() {
    for (line, id, cross) in [
        ("arXiv:2306.77777 (*cross-listing*)", "2306.77777", true),
        ("Paper (*cross-listing*): q-alg/9701031", "q-alg/9701031", true),
        ("Paper: astro-ph/0602001", "astro-ph/0602001", false),
        ("arXiv:astro-ph/0602003", "astro-ph/0602003", false),
    ] {
        let h = Header::parse(&lines(line));
        assert_eq!((h.id.as_deref(), h.cross_listing), (Some(id), cross), "{line}");
    }
}

#[test]
fn versions_and_dates() {
    let build1 = |text: &str| build(&lines(text), String::new(), Source::Listing);
    let p =
        build1("arXiv:2204.88888\nreplaced with revised version Thu, 8 Jun 2023 08:03:26 GMT   (25kb,D)\n\nTitle: T")
            .unwrap();
    assert_eq!((p.version, p.published), (2, None));
    assert_eq!(p.updated.unwrap().to_rfc3339(), "2023-06-08T08:03:26+00:00");
    let p = build1("Paper: astro-ph/9204003\nDate: Wed, 29 Apr 1992 16:36:30 GMT   (7kb)\nDate (revised): Thu, 30 Apr 1992 20:39:38 GMT\nTitle: T").unwrap();
    assert_eq!(p.version, 2);
    assert_eq!(p.categories, ["astro-ph"], "derived from the old-style id");
    let p = build1("arXiv:2303.00001\nDate (revised v5): Thu, 30 Apr 1992 20:39:38 GMT\nTitle: T").unwrap();
    assert_eq!(p.version, 5);
    let p = build1("arXiv:math.GT/0309136\nTitle: T").unwrap();
    assert_eq!((p.version, p.categories.clone()), (1, vec!["math.GT".to_string()]));
    let p = build1("arXiv:2303.00001\nkDate: Thu, 30 Apr 1992 20:39:38 GMT\nTitle: T").unwrap();
    assert_eq!((p.version, p.published, p.categories.len()), (1, None, 0));
}

#[test]
fn rejections() {
    let build1 = |text: &str| build(&lines(text), String::new(), Source::Abs);
    assert_eq!(
        build1("arXiv:12345\nTitle: T").unwrap_err(),
        (Some("12345".into()), "invalid arXiv id \"12345\"".into())
    );
    assert_eq!(build1("arXiv:2303.00001\nTitle:   ").unwrap_err(), (Some("2303.00001".into()), "missing title".into()));
    assert_eq!(build1("arXiv:\nTitle: T").unwrap_err().0, None);
}

#[test]
fn latin1_fallback_is_per_record() {
    let utf8 = decode(&[b"Journal-ref: \xc3\x89pijournal".to_vec()]);
    assert_eq!(utf8, ["Journal-ref: Épijournal"]);
    let latin1 = decode(&[b"Title: ok".to_vec(), b"Journal-ref: \xc9pijournal de G\xe9om\xe9trie".to_vec()]);
    assert_eq!(latin1, ["Title: ok", "Journal-ref: Épijournal de Géométrie"]);
    assert_eq!(decode(&[b"\x93quoted\x94 \x81".to_vec()]), ["“quoted” \u{FFFD}"]);
}

#[test]
fn control_characters_are_cleaned() {
    let got = decode(&[
        b"Title: the Str\x7fomgren system\x0c".to_vec(),
        b"Authors: S\x7f\\\"am K, J\x7f. S, G. T\x7for\x7fok".to_vec(),
    ]);
    assert_eq!(got, ["Title: the Str\\\"omgren system ", "Authors: S\\\"am K, J. S, G. T\\\"or\\\"ok"]);
    assert_eq!(decode(&[b"tab\there".to_vec()]), ["tab\there"]);
}

#[test]
fn one_encoding_per_entry() {
    let mut out = Vec::new();
    let text = b"\\\\\narXiv:2303.00001\nTitle: Caf\xc3\xa9\n\\\\\n  G\xe9om\xe9trie\n\\\\\n";
    let summary = parse_stream(&mut &text[..], "t", Source::Abs, &mut |i| {
        out.push(i);
        Ok(())
    })
    .unwrap();
    assert_eq!(summary.entries, 1);
    let [crate::Item::Paper(p)] = out.as_slice() else { panic!("{out:?}") };
    // The abstract is Latin-1, so the whole entry is: the title's UTF-8 bytes read as Latin-1.
    assert_eq!((p.title.as_str(), p.abstract_text.as_str()), ("CafÃ©", "Géométrie"));
}
