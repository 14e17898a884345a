//! Titles and abstracts with inline LaTeX turned into readable Unicode plain text, for the
//! text parts and subjects of mails (the web pages render math with KaTeX instead).
//!
//! [`latex_to_text`] is a small converter, not a TeX engine: it strips math delimiters
//! (`$`, `$$`, `\(`…`\)`, `\[`…`\]`), maps Greek letters and common symbols to their
//! characters, keeps the argument of font commands (`\mathcal{O}` → `O`, `\mathbb{R}` → `ℝ`),
//! writes `^{2}`/`_{i}` as Unicode super- and subscripts where Unicode has them (else
//! `^(…)`/`_(…)`), `\frac{a}{b}` as `a/b`, `\sqrt{x}` as `√x`, text accents (`\"o` → `ö`) as
//! composed letters, dashes and quotes as typographic ones, and any other command as its name.
//! It never panics: unbalanced braces or delimiters and deep nesting are tolerated (nesting
//! deeper than [`MAX_DEPTH`] is flattened), and the whitespace of the result is collapsed.

use icu_normalizer::ComposingNormalizerBorrowed;

/// What explicit spacing (`~`, `\,`, `\quad`…) is written as until whitespace is collapsed:
/// a thin space, which trimming a math span keeps.
const EXPLICIT_SPACE: char = '\u{2009}';

/// How deep groups and command arguments may nest before the converter stops recursing
/// (deeper braces are dropped and their content kept flat).
pub const MAX_DEPTH: usize = 32;

/// Turns a title or abstract with inline LaTeX into readable plain text (see the module doc).
///
/// ```
/// use papertide_mail::latex::latex_to_text;
/// assert_eq!(latex_to_text(r"Bounds for $\ell_2$ regression in $O(n^2)$ time"),
///            "Bounds for ℓ₂ regression in O(n²) time");
/// assert_eq!(latex_to_text(r#"the Gr\"obner basis of $\mathbb{Q}(\sqrt{5})$"#),
///            "the Gröbner basis of ℚ(√5)");
/// ```
pub fn latex_to_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut conv = Converter { chars: &chars, pos: 0, depth: 0 };
    let mut out = String::with_capacity(s.len());
    conv.seq(Mode::Text, false, &mut out);
    let composed = ComposingNormalizerBorrowed::new_nfc().normalize(&out);
    collapse_whitespace(&composed)
}

/// Collapses every run of whitespace into one space and trims both ends.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// What closes the math the converter is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MathEnd {
    /// `$`
    Dollar,
    /// `$$`
    DoubleDollar,
    /// `\)`
    Paren,
    /// `\]`
    Bracket,
    /// Math entered by a command (`\ensuremath{…}`): ends with its group.
    Implicit,
}

/// Text or math mode (which changes what `^`, `_`, `-`, quotes and `$` mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    Math(MathEnd),
}

struct Converter<'a> {
    chars: &'a [char],
    pos: usize,
    depth: usize,
}

impl Converter<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// Whether the math terminator `end` starts at the current position.
    fn at_terminator(&self, end: MathEnd) -> bool {
        match end {
            MathEnd::Dollar => self.peek() == Some('$'),
            MathEnd::DoubleDollar => self.peek() == Some('$') && self.peek_at(1) == Some('$'),
            MathEnd::Paren => self.peek() == Some('\\') && self.peek_at(1) == Some(')'),
            MathEnd::Bracket => self.peek() == Some('\\') && self.peek_at(1) == Some(']'),
            MathEnd::Implicit => false,
        }
    }

    fn terminator_len(end: MathEnd) -> usize {
        match end {
            MathEnd::Dollar => 1,
            MathEnd::Implicit => 0,
            MathEnd::DoubleDollar | MathEnd::Paren | MathEnd::Bracket => 2,
        }
    }

    /// Converts a sequence until the end of input, the closing brace of the group (when
    /// `in_group`), or the terminator of the math mode. A group inside math stops before the
    /// math terminator without consuming it, so unbalanced braces cannot swallow a `$`.
    fn seq(&mut self, mode: Mode, in_group: bool, out: &mut String) {
        while let Some(c) = self.peek() {
            if let Mode::Math(end) = mode {
                if self.at_terminator(end) {
                    if !in_group {
                        self.pos += Self::terminator_len(end);
                        return;
                    }
                    return;
                }
            }
            if c == '}' {
                self.pos += 1;
                if in_group {
                    return;
                }
                continue;
            }
            self.step(mode, out);
        }
    }

    /// Converts one unit (a character, a group, a command with its arguments, a math span).
    /// Always consumes at least one character.
    fn step(&mut self, mode: Mode, out: &mut String) {
        let Some(c) = self.peek() else { return };
        self.pos += 1;
        match c {
            '{' => self.group(mode, out),
            '}' => {}
            '\\' => self.command(mode, out),
            '$' => match mode {
                Mode::Text => self.open_dollar_math(out),
                // A `$` that does not close this math (inside `$$…$$`, or unbalanced): dropped.
                Mode::Math(_) => {}
            },
            '^' | '_' if matches!(mode, Mode::Math(_)) => {
                let arg = self.read_arg(mode);
                out.push_str(&script(&arg, c == '^'));
            }
            '~' => out.push(EXPLICIT_SPACE),
            '\'' if matches!(mode, Mode::Math(_)) => out.push('′'),
            '-' if mode == Mode::Text => {
                if self.peek() == Some('-') && self.peek_at(1) == Some('-') {
                    self.pos += 2;
                    out.push('—');
                } else if self.peek() == Some('-') {
                    self.pos += 1;
                    out.push('–');
                } else {
                    out.push('-');
                }
            }
            '`' if mode == Mode::Text => {
                if self.peek() == Some('`') {
                    self.pos += 1;
                    out.push('“');
                } else {
                    out.push('‘');
                }
            }
            '\'' if mode == Mode::Text && self.peek() == Some('\'') => {
                self.pos += 1;
                out.push('”');
            }
            _ => out.push(c),
        }
    }

    /// A `{…}` group whose `{` was consumed.
    fn group(&mut self, mode: Mode, out: &mut String) {
        if self.depth >= MAX_DEPTH {
            // Too deep: the brace is dropped and the content continues flat.
            return;
        }
        self.depth += 1;
        self.seq(mode, true, out);
        self.depth -= 1;
    }

    /// After a `$` in text mode: `$$…$$` or `$…$` when closed later, else a literal `$`.
    fn open_dollar_math(&mut self, out: &mut String) {
        if self.peek() == Some('$') && self.has_closing(self.pos + 1, true) {
            self.pos += 1;
            out.push(' ');
            self.math(MathEnd::DoubleDollar, out);
            out.push(' ');
        } else if self.has_closing(self.pos, false) {
            self.math(MathEnd::Dollar, out);
        } else {
            out.push('$');
        }
    }

    /// Whether an unescaped `$` (or `$$` when `double`) follows from index `from` on.
    fn has_closing(&self, from: usize, double: bool) -> bool {
        let mut i = from;
        while let Some(&c) = self.chars.get(i) {
            match c {
                '\\' => i += 2,
                '$' if !double || self.chars.get(i + 1) == Some(&'$') => return true,
                _ => i += 1,
            }
        }
        false
    }

    /// Math up to and including its terminator (or the end of input). Its text is trimmed of
    /// ASCII whitespace, so an operator alone (`354$\times$`) is not set apart from what
    /// surrounds it; explicit spaces (`1\,$mK`, written as [`EXPLICIT_SPACE`]) stay.
    fn math(&mut self, end: MathEnd, out: &mut String) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let mut math = String::new();
        self.seq(Mode::Math(end), false, &mut math);
        out.push_str(math.trim_matches(|c: char| c.is_ascii_whitespace()));
        self.depth -= 1;
    }

    /// Skips spaces, tabs and newlines.
    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The converted argument of a command or script: a group, a command, or one character.
    /// Empty at the end of input, before a closing brace or the math terminator.
    fn read_arg(&mut self, mode: Mode) -> String {
        self.skip_space();
        let mut arg = String::new();
        match self.peek() {
            None | Some('}') => return arg,
            Some(_) => {}
        }
        if let Mode::Math(end) = mode {
            if self.at_terminator(end) {
                return arg;
            }
        }
        if self.depth >= MAX_DEPTH {
            return arg;
        }
        self.depth += 1;
        self.step(mode, &mut arg);
        self.depth -= 1;
        arg
    }

    /// An optional `[…]` argument, converted; `None` when there is none.
    fn read_optional(&mut self, mode: Mode) -> Option<String> {
        self.skip_space();
        if self.peek() != Some('[') {
            return None;
        }
        self.pos += 1;
        let mut raw = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == ']' {
                break;
            }
            raw.push(c);
        }
        let converted = match mode {
            Mode::Text => latex_to_text_at_depth(&raw, self.depth),
            Mode::Math(_) => latex_to_text_at_depth(&format!("${raw}$"), self.depth),
        };
        Some(converted)
    }

    /// A `{…}` argument taken verbatim (URLs, labels, environment names): nested braces are
    /// kept balanced, nothing is converted. Without a brace, one character.
    fn read_raw(&mut self) -> String {
        self.skip_space();
        let mut raw = String::new();
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                let mut level = 0usize;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    match c {
                        '{' => level += 1,
                        '}' if level == 0 => break,
                        '}' => level -= 1,
                        _ => {}
                    }
                    raw.push(c);
                }
            }
            Some('}') | None => {}
            Some(c) => {
                self.pos += 1;
                raw.push(c);
            }
        }
        raw
    }

    /// After a `\`: a control word or a control symbol.
    fn command(&mut self, mode: Mode, out: &mut String) {
        let Some(c) = self.peek() else { return };
        if c.is_ascii_alphabetic() {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                self.pos += 1;
            }
            let name: String = self.chars[start..self.pos].iter().collect();
            self.word(&name, mode, out);
        } else {
            self.pos += 1;
            self.symbol(c, mode, out);
        }
    }

    /// `\b{eta}`, `\r{ho}`, `\k{appa}`: a Greek letter whose backslash-letter was taken for an
    /// accent command somewhere on its way to arXiv's metadata. Writes the letter and returns
    /// true when `name` and the braced letters make a known symbol; otherwise consumes nothing.
    fn split_greek(&mut self, name: &str, out: &mut String) -> bool {
        if self.peek() != Some('{') {
            return false;
        }
        let rest: String = self.chars[self.pos + 1..].iter().take_while(|c| c.is_ascii_alphabetic()).collect();
        if rest.is_empty() || self.chars.get(self.pos + 1 + rest.len()) != Some(&'}') {
            return false;
        }
        match symbol(&format!("{name}{rest}")) {
            Some(sym) if rest.len() >= 2 => {
                self.pos += rest.len() + 2;
                out.push_str(sym);
                true
            }
            _ => false,
        }
    }

    /// A control symbol: `\{`, `\$`, `\,`, an accent (`\"o`), math delimiters.
    fn symbol(&mut self, c: char, mode: Mode, out: &mut String) {
        match c {
            '{' | '}' | '$' | '%' | '&' | '#' | '_' => out.push(c),
            ' ' | ',' | ';' | ':' | '>' | '\\' | '\n' | '\t' => out.push(EXPLICIT_SPACE),
            '!' | '/' | '-' | '@' | ')' | ']' => {}
            '|' => out.push('‖'),
            '(' | '[' => match mode {
                Mode::Text => {
                    let end = if c == '(' { MathEnd::Paren } else { MathEnd::Bracket };
                    if end == MathEnd::Bracket {
                        out.push(' ');
                    }
                    self.math(end, out);
                    if end == MathEnd::Bracket {
                        out.push(' ');
                    }
                }
                // `\(` or `\[` inside math: dropped.
                Mode::Math(_) => {}
            },
            '"' | '\'' | '`' | '^' | '~' | '=' | '.' => {
                let mark = match c {
                    '"' => '\u{308}',
                    '\'' => '\u{301}',
                    '`' => '\u{300}',
                    '^' => '\u{302}',
                    '~' => '\u{303}',
                    '=' => '\u{304}',
                    _ => '\u{307}',
                };
                let arg = self.read_arg(mode);
                let arg = arg.trim();
                if arg.is_empty() {
                    out.push(c);
                } else {
                    out.push_str(&accent(arg, mark));
                }
            }
            _ => out.push(c),
        }
    }

    /// A control word with its arguments.
    fn word(&mut self, name: &str, mode: Mode, out: &mut String) {
        if let Mode::Math(_) = mode {
            // Probability and expectation, as papers define them (`\P` is ¶ in text).
            match name {
                "P" | "Prob" => return out.push('ℙ'),
                "E" | "Ex" => return out.push('𝔼'),
                _ => {}
            }
        }
        if let Some(sym) = symbol(name) {
            if matches!(mode, Mode::Math(_)) && is_spaced(name) {
                // TeX sets relations and binary operators apart: `a\le b` and `a \le b`
                // both read "a ≤ b" (the whitespace is collapsed at the end).
                out.push(' ');
                out.push_str(sym);
                out.push(' ');
                return;
            }
            out.push_str(sym);
            if is_text_letter(name) {
                // TeX eats the space after a control word: `\o ystein` is Øystein.
                self.skip_space();
            }
            return;
        }
        match name {
            "frac" | "dfrac" | "tfrac" | "cfrac" => {
                let num = self.read_arg(mode);
                let den = self.read_arg(mode);
                out.push_str(&parenthesise(num.trim()));
                out.push('/');
                out.push_str(&parenthesise(den.trim()));
            }
            "binom" | "dbinom" | "tbinom" => {
                let n = self.read_arg(mode);
                let k = self.read_arg(mode);
                let (n, k) = (n.trim(), k.trim());
                out.push_str(&format!("({n} choose {k})"));
            }
            "sqrt" => {
                let index = self.read_optional(mode).unwrap_or_default();
                let body = self.read_arg(mode);
                match index.as_str() {
                    "" | "2" => out.push('√'),
                    "3" => out.push('∛'),
                    "4" => out.push('∜'),
                    other => {
                        out.push_str(&script(other, true));
                        out.push('√');
                    }
                }
                out.push_str(&parenthesise(body.trim()));
            }
            "text" | "textrm" | "textnormal" | "textup" | "textmd" | "textsf" | "texttt" | "textbf" | "textit"
            | "textsl" | "textsc" | "emph" | "mbox" | "hbox" | "uline" | "textsuperscript" | "textsubscript" => {
                let arg = self.read_arg(Mode::Text);
                match name {
                    "textsuperscript" => out.push_str(&script(&arg, true)),
                    "textsubscript" => out.push_str(&script(&arg, false)),
                    _ => out.push_str(&arg),
                }
            }
            "mathrm" | "mathit" | "mathbf" | "mathsf" | "mathtt" | "mathcal" | "mathscr" | "mathfrak"
            | "mathnormal" | "boldsymbol" | "bm" | "pmb" | "operatorname" | "mathop" | "overline" | "underline"
            | "mathring" | "underbrace" | "overbrace" | "displaylimits" | "lowercase" | "uppercase" | "textcolor"
            | "color" => {
                if name == "operatorname" && self.peek() == Some('*') {
                    self.pos += 1;
                }
                if name == "textcolor" || name == "color" {
                    // The colour name is not text.
                    let _ = self.read_raw();
                    if name == "color" {
                        return;
                    }
                }
                let arg = self.read_arg(mode);
                match name {
                    "lowercase" => out.push_str(&arg.to_lowercase()),
                    "uppercase" => out.push_str(&arg.to_uppercase()),
                    _ => out.push_str(&arg),
                }
            }
            "ensuremath" => {
                let arg = match mode {
                    Mode::Text => self.read_arg(Mode::Math(MathEnd::Implicit)),
                    Mode::Math(_) => self.read_arg(mode),
                };
                out.push_str(&arg);
            }
            "mathbb" | "mathbbm" | "Bbb" | "mathds" | "bbold" => {
                let arg = self.read_arg(mode);
                out.extend(arg.trim().chars().map(|c| blackboard(c).unwrap_or(c)));
            }
            "c" | "v" | "u" | "H" | "k" | "r" | "d" | "b" | "t" if self.split_greek(name, out) => {}
            "hat" | "widehat" | "bar" | "tilde" | "widetilde" | "vec" | "dot" | "ddot" | "check" | "breve"
            | "acute" | "grave" | "c" | "v" | "u" | "H" | "k" | "r" | "d" | "b" | "t" => {
                let mark = match name {
                    "hat" | "widehat" => '\u{302}',
                    "bar" => '\u{304}',
                    "tilde" | "widetilde" => '\u{303}',
                    "vec" => '\u{20d7}',
                    "dot" => '\u{307}',
                    "ddot" => '\u{308}',
                    "check" | "v" => '\u{30c}',
                    "breve" | "u" => '\u{306}',
                    "acute" => '\u{301}',
                    "grave" => '\u{300}',
                    "c" => '\u{327}',
                    "H" => '\u{30b}',
                    "k" => '\u{328}',
                    "r" => '\u{30a}',
                    "d" => '\u{323}',
                    "b" => '\u{331}',
                    _ => '\u{361}',
                };
                let arg = self.read_arg(mode);
                let arg = arg.trim();
                if arg.chars().count() == 1 {
                    out.push_str(&accent(arg, mark));
                } else {
                    out.push_str(arg);
                }
            }
            "not" => {
                let arg = self.read_arg(mode);
                let arg = arg.trim();
                if arg.is_empty() {
                    out.push('¬');
                } else {
                    out.push_str(arg);
                    out.push('\u{338}');
                }
            }
            "pmod" => {
                let arg = self.read_arg(mode);
                out.push_str(&format!(" (mod {arg})"));
            }
            "bmod" | "mod" => out.push_str(" mod "),
            "stackrel" | "overset" | "underset" => {
                let _ = self.read_arg(mode);
                let base = self.read_arg(mode);
                out.push_str(&base);
            }
            "left" | "right" | "middle" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl" | "Bigr"
            | "biggl" | "biggr" | "Biggl" | "Biggr" | "bigm" | "Bigm" => {
                self.skip_space();
                if self.peek() == Some('.') {
                    self.pos += 1;
                }
            }
            "displaystyle" | "textstyle" | "scriptstyle" | "scriptscriptstyle" | "limits" | "nolimits" | "rm"
            | "bf" | "it" | "sf" | "tt" | "cal" | "em" | "sl" | "sc" | "normalfont" | "mathstrut" | "strut"
            | "nonumber" | "notag" | "small" | "large" | "Large" | "LARGE" | "footnotesize" | "scriptsize" | "tiny"
            | "normalsize" | "huge" | "Huge" | "noindent" | "centering" | "relax" | "protect" | "boldmath"
            | "unboldmath" | "allowbreak" | "nobreak" | "displaybreak" | "bfseries" | "itshape" | "mdseries"
            | "upshape" | "rmfamily" | "sffamily" | "ttfamily" => {}
            "quad" | "qquad" | "enspace" | "enskip" | "thinspace" | "medspace" | "thickspace" | "space"
            | "nobreakspace" | "newline" | "linebreak" | "par" | "smallskip" | "medskip" | "bigskip" | "hfill"
            | "vfill" | "cr" => out.push(EXPLICIT_SPACE),
            "hspace" | "vspace" | "kern" | "hskip" | "vskip" => {
                if self.peek() == Some('*') {
                    self.pos += 1;
                }
                let _ = self.read_raw();
                out.push(' ');
            }
            "label" | "footnote" | "thanks" | "footnotemark" | "phantom" | "hphantom" | "vphantom" | "begin"
            | "end" => {
                let _ = self.read_raw();
            }
            "cite" | "citep" | "citet" | "ref" | "eqref" | "autoref" | "cref" | "Cref" => {
                let _ = self.read_optional(Mode::Text);
                let key = self.read_raw();
                out.push('[');
                out.push_str(&key);
                out.push(']');
            }
            "url" | "nolinkurl" | "path" => out.push_str(&self.read_raw()),
            // Macros of common packages whose argument is the text (siunitx, glossaries,
            // acronyms, TeX's math classes).
            "num" | "gls" | "glspl" | "Gls" | "Glspl" | "acrshort" | "acrlong" | "acrfull" | "ac" | "acp" | "acs"
            | "acl" | "acf" | "smash" | "mathbin" | "mathrel" | "mathord" | "mathpunct" | "mathopen" | "mathclose"
            | "mathinner" => {
                let arg = self.read_arg(mode);
                out.push_str(&arg);
            }
            // The second argument is the text.
            "hyperlink" | "scalebox" | "foreignlanguage" | "raisebox" | "resizebox" => {
                let _ = self.read_raw();
                if name == "resizebox" {
                    let _ = self.read_raw();
                }
                let arg = self.read_arg(mode);
                out.push_str(&arg);
            }
            "SI" | "qty" => {
                let value = self.read_arg(mode);
                let unit = self.read_arg(Mode::Text);
                out.push_str(value.trim());
                out.push(' ');
                out.push_str(unit.trim());
            }
            "xrightarrow" | "xleftarrow" => {
                let _ = self.read_optional(mode);
                let _ = self.read_arg(mode);
                out.push_str(if name == "xrightarrow" { " → " } else { " ← " });
            }
            "href" => {
                let url = self.read_raw();
                let text = self.read_arg(Mode::Text);
                if text.is_empty() || text == url {
                    out.push_str(&url);
                } else {
                    out.push_str(&format!("{text} ({url})"));
                }
            }
            _ => out.push_str(name),
        }
    }
}

/// Relations, arrows and binary operators: spaced on both sides in math.
fn is_spaced(name: &str) -> bool {
    matches!(
        name,
        "le" | "leq"
            | "ge"
            | "geq"
            | "leqslant"
            | "geqslant"
            | "ne"
            | "neq"
            | "nleq"
            | "ngeq"
            | "approx"
            | "simeq"
            | "cong"
            | "equiv"
            | "sim"
            | "asymp"
            | "doteq"
            | "triangleq"
            | "coloneqq"
            | "propto"
            | "ll"
            | "gg"
            | "lesssim"
            | "gtrsim"
            | "prec"
            | "succ"
            | "preceq"
            | "succeq"
            | "in"
            | "notin"
            | "ni"
            | "subset"
            | "subseteq"
            | "subsetneq"
            | "nsubseteq"
            | "supset"
            | "supseteq"
            | "supsetneq"
            | "sqsubseteq"
            | "sqsupseteq"
            | "perp"
            | "parallel"
            | "mid"
            | "vdash"
            | "models"
            | "to"
            | "rightarrow"
            | "leftarrow"
            | "gets"
            | "leftrightarrow"
            | "Rightarrow"
            | "Leftarrow"
            | "Leftrightarrow"
            | "iff"
            | "implies"
            | "impliedby"
            | "Longrightarrow"
            | "Longleftarrow"
            | "Longleftrightarrow"
            | "longrightarrow"
            | "longleftarrow"
            | "longleftrightarrow"
            | "mapsto"
            | "longmapsto"
            | "hookrightarrow"
            | "hookleftarrow"
            | "rightleftharpoons"
            | "times"
            | "cdot"
            | "circ"
            | "div"
            | "pm"
            | "mp"
            | "oplus"
            | "ominus"
            | "otimes"
            | "odot"
            | "cup"
            | "cap"
            | "sqcup"
            | "sqcap"
            | "uplus"
            | "setminus"
            | "wedge"
            | "land"
            | "vee"
            | "lor"
    )
}

/// Control words that are letters of text (`\ss`, `\o`, `\ae`…).
fn is_text_letter(name: &str) -> bool {
    matches!(
        name,
        "ss" | "o"
            | "O"
            | "ae"
            | "AE"
            | "oe"
            | "OE"
            | "aa"
            | "AA"
            | "l"
            | "L"
            | "i"
            | "j"
            | "dh"
            | "DH"
            | "th"
            | "TH"
            | "ng"
            | "NG"
    )
}

/// Converts a nested snippet (an optional argument), one level deeper than `depth`.
fn latex_to_text_at_depth(s: &str, depth: usize) -> String {
    if depth >= MAX_DEPTH {
        return collapse_whitespace(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut conv = Converter { chars: &chars, pos: 0, depth: depth + 1 };
    let mut out = String::new();
    conv.seq(Mode::Text, false, &mut out);
    collapse_whitespace(&out)
}

/// Puts the combining `mark` after the first character of `base` (a dotless ı or ȷ becomes
/// i or j first, as `\'\i` means í); NFC at the end composes the pair where Unicode can.
fn accent(base: &str, mark: char) -> String {
    let mut chars = base.chars();
    let mut out = String::with_capacity(base.len() + 2);
    if let Some(first) = chars.next() {
        out.push(match first {
            'ı' => 'i',
            'ȷ' => 'j',
            other => other,
        });
        out.push(mark);
    }
    out.extend(chars);
    out
}

/// Whether a converted part reads as one token (no parentheses needed around it).
fn is_simple(s: &str) -> bool {
    !s.is_empty()
        && (s.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '′' | '″' | '∞' | '∂' | '∇'))
            || s.chars().count() == 1)
}

/// `s` as is when it is one token or already in parentheses, else `(s)`.
fn parenthesise(s: &str) -> String {
    if s.is_empty() || is_simple(s) || (s.starts_with('(') && s.ends_with(')') && s[1..].find(')') == Some(s.len() - 2))
    {
        s.to_string()
    } else {
        format!("({s})")
    }
}

/// A superscript (`sup`) or subscript: Unicode script characters when every character has
/// one, else `^x` / `_x` for one character or `^(…)` / `_(…)` for more.
fn script(arg: &str, sup: bool) -> String {
    let arg = arg.trim();
    if arg.is_empty() {
        return String::new();
    }
    let mapped: Option<String> = arg.chars().map(|c| if sup { superscript(c) } else { subscript(c) }).collect();
    if let Some(m) = mapped {
        return m;
    }
    let marker = if sup { '^' } else { '_' };
    if arg.chars().count() == 1 {
        format!("{marker}{arg}")
    } else {
        format!("{marker}({arg})")
    }
}

fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' | '−' => '⁻',
        '=' => '⁼',
        '(' => '⁽',
        ')' => '⁾',
        'a' => 'ᵃ',
        'b' => 'ᵇ',
        'c' => 'ᶜ',
        'd' => 'ᵈ',
        'e' => 'ᵉ',
        'f' => 'ᶠ',
        'g' => 'ᵍ',
        'h' => 'ʰ',
        'i' => 'ⁱ',
        'j' => 'ʲ',
        'k' => 'ᵏ',
        'l' => 'ˡ',
        'm' => 'ᵐ',
        'n' => 'ⁿ',
        'o' => 'ᵒ',
        'p' => 'ᵖ',
        'r' => 'ʳ',
        's' => 'ˢ',
        't' => 'ᵗ',
        'u' => 'ᵘ',
        'v' => 'ᵛ',
        'w' => 'ʷ',
        'x' => 'ˣ',
        'y' => 'ʸ',
        'z' => 'ᶻ',
        'A' => 'ᴬ',
        'B' => 'ᴮ',
        'D' => 'ᴰ',
        'E' => 'ᴱ',
        'G' => 'ᴳ',
        'H' => 'ᴴ',
        'I' => 'ᴵ',
        'J' => 'ᴶ',
        'K' => 'ᴷ',
        'L' => 'ᴸ',
        'M' => 'ᴹ',
        'N' => 'ᴺ',
        'O' => 'ᴼ',
        'P' => 'ᴾ',
        'R' => 'ᴿ',
        'T' => 'ᵀ',
        'U' => 'ᵁ',
        'V' => 'ⱽ',
        'W' => 'ᵂ',
        'α' => 'ᵅ',
        'β' => 'ᵝ',
        'γ' => 'ᵞ',
        'δ' => 'ᵟ',
        'ε' => 'ᵋ',
        'θ' => 'ᶿ',
        'φ' => 'ᵠ',
        'χ' => 'ᵡ',
        '⊤' => 'ᵀ',
        // `360^\circ` is degrees.
        '∘' | '°' => '°',
        // Already raised, or read naturally after the base: x′, x*, x†.
        '′' | '″' | '‴' | '*' | '∗' | '†' | '‡' => c,
        _ => return None,
    })
}

fn subscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '₀',
        '1' => '₁',
        '2' => '₂',
        '3' => '₃',
        '4' => '₄',
        '5' => '₅',
        '6' => '₆',
        '7' => '₇',
        '8' => '₈',
        '9' => '₉',
        '+' => '₊',
        '-' | '−' => '₋',
        '=' => '₌',
        '(' => '₍',
        ')' => '₎',
        'a' => 'ₐ',
        'e' => 'ₑ',
        'h' => 'ₕ',
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        'l' => 'ₗ',
        'm' => 'ₘ',
        'n' => 'ₙ',
        'o' => 'ₒ',
        'p' => 'ₚ',
        'r' => 'ᵣ',
        's' => 'ₛ',
        't' => 'ₜ',
        'u' => 'ᵤ',
        'v' => 'ᵥ',
        'x' => 'ₓ',
        'β' => 'ᵦ',
        'γ' => 'ᵧ',
        'ρ' => 'ᵨ',
        'φ' => 'ᵩ',
        'χ' => 'ᵪ',
        _ => return None,
    })
}

/// The double-struck capital for `\mathbb{X}` where Unicode has a common one.
fn blackboard(c: char) -> Option<char> {
    Some(match c {
        'N' => 'ℕ',
        'Z' => 'ℤ',
        'Q' => 'ℚ',
        'R' => 'ℝ',
        'C' => 'ℂ',
        'P' => 'ℙ',
        'H' => 'ℍ',
        'E' => '𝔼',
        'F' => '𝔽',
        'K' => '𝕂',
        'S' => '𝕊',
        'T' => '𝕋',
        '1' => '𝟙',
        _ => return None,
    })
}

/// Control words that stand for one character or a fixed text.
fn symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        // Greek, lower case.
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "vartheta" => "ϑ",
        "iota" => "ι",
        "kappa" => "κ",
        "varkappa" => "ϰ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "omicron" => "ο",
        "pi" => "π",
        "varpi" => "ϖ",
        "rho" => "ρ",
        "varrho" => "ϱ",
        "sigma" => "σ",
        "varsigma" => "ς",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "digamma" => "ϝ",
        // Greek, upper case.
        "Alpha" => "Α",
        "Beta" => "Β",
        "Gamma" | "varGamma" => "Γ",
        "Delta" | "varDelta" => "Δ",
        "Epsilon" => "Ε",
        "Zeta" => "Ζ",
        "Eta" => "Η",
        "Theta" | "varTheta" => "Θ",
        "Iota" => "Ι",
        "Kappa" => "Κ",
        "Lambda" | "varLambda" => "Λ",
        "Mu" => "Μ",
        "Nu" => "Ν",
        "Xi" | "varXi" => "Ξ",
        "Omicron" => "Ο",
        "Pi" | "varPi" => "Π",
        "Rho" => "Ρ",
        "Sigma" | "varSigma" => "Σ",
        "Tau" => "Τ",
        "Upsilon" | "varUpsilon" => "Υ",
        "Phi" | "varPhi" => "Φ",
        "Chi" => "Χ",
        "Psi" | "varPsi" => "Ψ",
        "Omega" | "varOmega" => "Ω",
        // Relations.
        "le" | "leq" => "≤",
        "ge" | "geq" => "≥",
        "leqslant" => "⩽",
        "geqslant" => "⩾",
        "ne" | "neq" => "≠",
        "nleq" => "≰",
        "ngeq" => "≱",
        "approx" => "≈",
        "simeq" => "≃",
        "cong" => "≅",
        "equiv" => "≡",
        "sim" => "∼",
        "asymp" => "≍",
        "doteq" => "≐",
        "triangleq" => "≜",
        "coloneqq" => "≔",
        "propto" => "∝",
        "ll" => "≪",
        "gg" => "≫",
        "lesssim" => "≲",
        "gtrsim" => "≳",
        "prec" => "≺",
        "succ" => "≻",
        "preceq" => "⪯",
        "succeq" => "⪰",
        "in" => "∈",
        "notin" => "∉",
        "ni" => "∋",
        "subset" => "⊂",
        "subseteq" => "⊆",
        "subsetneq" => "⊊",
        "nsubseteq" => "⊈",
        "supset" => "⊃",
        "supseteq" => "⊇",
        "supsetneq" => "⊋",
        "sqsubseteq" => "⊑",
        "sqsupseteq" => "⊒",
        "perp" => "⊥",
        "parallel" => "∥",
        "mid" | "vert" => "|",
        "Vert" => "‖",
        "vdash" => "⊢",
        "models" => "⊨",
        "lhd" => "⊲",
        "rhd" => "⊳",
        "unlhd" => "⊴",
        "unrhd" => "⊵",
        // Arrows.
        "to" | "rightarrow" => "→",
        "leftarrow" | "gets" => "←",
        "leftrightarrow" => "↔",
        "Rightarrow" => "⇒",
        "Leftarrow" => "⇐",
        "Leftrightarrow" | "iff" => "⇔",
        "implies" | "Longrightarrow" => "⟹",
        "impliedby" | "Longleftarrow" => "⟸",
        "Longleftrightarrow" => "⟺",
        "longrightarrow" => "⟶",
        "longleftarrow" => "⟵",
        "longleftrightarrow" => "⟷",
        "mapsto" => "↦",
        "longmapsto" => "⟼",
        "hookrightarrow" => "↪",
        "hookleftarrow" => "↩",
        "uparrow" => "↑",
        "downarrow" => "↓",
        "updownarrow" => "↕",
        "Uparrow" => "⇑",
        "Downarrow" => "⇓",
        "nearrow" => "↗",
        "searrow" => "↘",
        "rightleftharpoons" => "⇌",
        "rightharpoonup" => "⇀",
        // Operators.
        "times" => "×",
        "cdot" => "·",
        "div" => "÷",
        "pm" => "±",
        "mp" => "∓",
        "ast" => "∗",
        "star" => "⋆",
        "circ" => "∘",
        "bullet" => "•",
        "oplus" => "⊕",
        "ominus" => "⊖",
        "otimes" => "⊗",
        "odot" => "⊙",
        "oslash" => "⊘",
        "bigoplus" => "⨁",
        "bigotimes" => "⨂",
        "bigodot" => "⨀",
        "cup" => "∪",
        "cap" => "∩",
        "bigcup" => "⋃",
        "bigcap" => "⋂",
        "sqcup" => "⊔",
        "sqcap" => "⊓",
        "bigsqcup" => "⨆",
        "uplus" => "⊎",
        "biguplus" => "⨄",
        "setminus" | "smallsetminus" => "∖",
        "wedge" | "land" => "∧",
        "vee" | "lor" => "∨",
        "bigwedge" => "⋀",
        "bigvee" => "⋁",
        "neg" | "lnot" => "¬",
        "sum" => "∑",
        "prod" => "∏",
        "coprod" => "∐",
        "int" => "∫",
        "iint" => "∬",
        "iiint" => "∭",
        "oint" => "∮",
        "partial" => "∂",
        "nabla" => "∇",
        "surd" => "√",
        "dagger" | "dag" => "†",
        "ddagger" | "ddag" => "‡",
        "wr" => "≀",
        "amalg" => "⨿",
        // Letters and other symbols.
        "infty" => "∞",
        "forall" => "∀",
        "exists" => "∃",
        "nexists" => "∄",
        "emptyset" | "varnothing" => "∅",
        "ell" => "ℓ",
        "hbar" | "hslash" => "ħ",
        "Re" => "ℜ",
        "Im" => "ℑ",
        "aleph" => "ℵ",
        "beth" => "ℶ",
        "wp" => "℘",
        "mho" => "℧",
        "eth" => "ð",
        "imath" => "ı",
        "jmath" => "ȷ",
        "prime" => "′",
        "angle" => "∠",
        "triangle" => "△",
        "square" | "Box" => "□",
        "blacksquare" => "■",
        "diamond" => "⋄",
        "Diamond" => "◇",
        "bigstar" => "★",
        "checkmark" => "✓",
        "flat" => "♭",
        "sharp" => "♯",
        "natural" => "♮",
        "top" => "⊤",
        "bot" => "⊥",
        "therefore" => "∴",
        "because" => "∵",
        "langle" => "⟨",
        "rangle" => "⟩",
        "lceil" => "⌈",
        "rceil" => "⌉",
        "lfloor" => "⌊",
        "rfloor" => "⌋",
        "lbrace" => "{",
        "rbrace" => "}",
        "lbrack" => "[",
        "rbrack" => "]",
        "backslash" | "textbackslash" => "\\",
        "colon" => ":",
        "ldots" | "dots" | "dotsc" | "dotsb" | "dotsm" | "textellipsis" => "…",
        "cdots" => "⋯",
        "vdots" => "⋮",
        "ddots" => "⋱",
        "degree" | "textdegree" => "°",
        // Blackboard capitals as the usual macros (`\R`, `\RR`).
        "N" | "NN" => "ℕ",
        "Z" | "ZZ" => "ℤ",
        "Q" | "QQ" => "ℚ",
        "R" | "RR" => "ℝ",
        "C" | "CC" => "ℂ",
        // Text symbols and letters.
        "ss" => "ß",
        "o" => "ø",
        "O" => "Ø",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "aa" => "å",
        "AA" | "angstrom" => "Å",
        "l" => "ł",
        "L" => "Ł",
        "i" => "ı",
        "j" => "ȷ",
        "dh" => "ð",
        "DH" => "Ð",
        "th" => "þ",
        "TH" => "Þ",
        "ng" => "ŋ",
        "NG" => "Ŋ",
        "S" => "§",
        "P" => "¶",
        "copyright" | "textcopyright" => "©",
        "textregistered" => "®",
        "texttrademark" => "™",
        "pounds" | "textsterling" => "£",
        "euro" => "€",
        "textasciitilde" => "~",
        "textasciicircum" => "^",
        "textunderscore" => "_",
        "textendash" => "–",
        "textemdash" => "—",
        "textquoteleft" => "‘",
        "textquoteright" => "’",
        "textquotedblleft" => "“",
        "textquotedblright" => "”",
        "textbullet" | "item" => "•",
        "textless" => "<",
        "textgreater" => ">",
        "textbar" => "|",
        "textperiodcentered" => "·",
        "guillemotleft" => "«",
        "guillemotright" => "»",
        "textrightarrow" => "→",
        "textleftarrow" => "←",
        "texttimes" => "×",
        "textpm" => "±",
        "textmu" => "µ",
        // Abbreviation macros papers define.
        "eg" => "e.g.",
        "ie" => "i.e.",
        "etc" => "etc.",
        "etal" => "et al.",
        "wrt" => "w.r.t.",
        "vs" => "vs.",
        "F" | "FF" => "𝔽",
        "LaTeX" => "LaTeX",
        "TeX" => "TeX",
        "LaTeXe" => "LaTeX2ε",
        "BibTeX" => "BibTeX",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert_eq!(script("2", true), "²");
        assert_eq!(script("-1", true), "⁻¹");
        assert_eq!(script("p,q", true), "^(p,q)");
        assert_eq!(script("i", false), "ᵢ");
        assert_eq!(script("α", false), "_α");
        assert_eq!(script("", false), "");
    }

    #[test]
    fn parentheses() {
        assert_eq!(parenthesise("x"), "x");
        assert_eq!(parenthesise("x+1"), "(x+1)");
        assert_eq!(parenthesise("(a+b)"), "(a+b)");
        assert_eq!(parenthesise("(a)+(b)"), "((a)+(b))");
        assert_eq!(parenthesise("αβ"), "αβ");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "{".repeat(100_000) + "x" + &"}".repeat(100_000);
        assert_eq!(latex_to_text(&deep), "x");
        let fracs = r"\frac".repeat(50_000);
        let _ = latex_to_text(&fracs);
        let scripts = "$".to_string() + &"^{".repeat(50_000) + "$";
        let _ = latex_to_text(&scripts);
    }
}
