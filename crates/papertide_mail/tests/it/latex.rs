//! `latex_to_text`: real arXiv titles (the Kaggle snapshot head and well-known shapes), every
//! documented conversion, and properties over arbitrary input (no panic; balanced math
//! delimiters never leave a `$`).

use papertide_mail::latex::latex_to_text;
use proptest::prelude::*;

/// (arXiv-style title as in the metadata, expected text).
const TITLES: &[(&str, &str)] = &[
    // The first ten come verbatim from the Kaggle snapshot head (../shared/data).
    (r"From dyadic $\Lambda_{\alpha}$ to $\Lambda_{\alpha}$", "From dyadic Λ_α to Λ_α"),
    (
        "Computing genus 2 Hilbert-Siegel modular forms over $\\Q(\\sqrt{5})$ via\n  the Jacquet-Langlands correspondence",
        "Computing genus 2 Hilbert-Siegel modular forms over ℚ(√5) via the Jacquet-Langlands correspondence",
    ),
    (
        "$p$-adic Limit of Weakly Holomorphic Modular Forms of Half Integral\n  Weight",
        "p-adic Limit of Weakly Holomorphic Modular Forms of Half Integral Weight",
    ),
    (
        "Approximation for extinction probability of the contact process based on\n  the Gr\\\"obner basis",
        "Approximation for extinction probability of the contact process based on the Gröbner basis",
    ),
    (r"The Hardy-Lorentz Spaces $H^{p,q}(R^n)$", "The Hardy-Lorentz Spaces H^(p,q)(Rⁿ)"),
    (r"A transcendental approach to Koll\'ar's injectivity theorem", "A transcendental approach to Kollár's injectivity theorem"),
    (
        "Quasi-quartet crystal electric field ground state in a tetragonal\n  CeAg$_2$Ge$_2$ single crystal",
        "Quasi-quartet crystal electric field ground state in a tetragonal CeAg₂Ge₂ single crystal",
    ),
    (r"Evidence for an excitonic insulator phase in 1T-TiSe$_{2}$", "Evidence for an excitonic insulator phase in 1T-TiSe₂"),
    (
        "Reparametrization Invariance, the controversial extraction of $\\alpha$\n  from $B\\to\\pi\\pi$ and New Physics",
        "Reparametrization Invariance, the controversial extraction of α from B → ππ and New Physics",
    ),
    (r"Strong Phase and $D^0-D^0bar$ mixing at BES-III", "Strong Phase and D⁰-D⁰bar mixing at BES-III"),
    // Shapes common in later listings.
    ("Attention Is All You Need", "Attention Is All You Need"),
    (
        r"Optimal $\ell_1$-norm regularization for $O(n \log n)$ sparse recovery",
        "Optimal ℓ₁-norm regularization for O(n log n) sparse recovery",
    ),
    (r"Fast $\epsilon$-approximate solvers in $\mathcal{O}(\sqrt{n})$ rounds", "Fast ε-approximate solvers in O(√n) rounds"),
    (r"Learning in $\mathbb{R}^d$ with $\frac{1}{2}$-Lipschitz losses", "Learning in ℝᵈ with 1/2-Lipschitz losses"),
    (
        r"A $\tilde{O}(T^{-1/2})$ rate for \emph{non-convex} SGD with $\frac{n+1}{\log n}$ workers",
        "A Õ(T^(-1/2)) rate for non-convex SGD with (n+1)/(log n) workers",
    ),
    (r#"Schr\"odinger equations on $\mathbb{T}^2$ -- a survey"#, "Schrödinger equations on 𝕋² – a survey"),
    (r#"\textsc{Bert} for the {\"U}bersetzung of {\'E}tudes"#, "Bert for the Übersetzung of Études"),
    (
        r"Regret $\le \sqrt{T \log T}$ via $x^{(k+1)} = x^{(k)} - \eta \nabla f$",
        "Regret ≤ √(T log T) via x⁽ᵏ⁺¹⁾ = x⁽ᵏ⁾ - η ∇ f",
    ),
    (
        r"Spin--orbit coupling in $^{3}$He--$^{4}$He mixtures at $T \sim 1\,$mK",
        "Spin–orbit coupling in ³He–⁴He mixtures at T ∼ 1 mK",
    ),
    (r"The $SU(3)\times U(1)$ model: ``exotic'' states", "The SU(3) × U(1) model: “exotic” states"),
    (r"Measurement of the $B^0_s \to \mu^+\mu^-$ branching fraction", "Measurement of the B⁰ₛ → μ⁺μ⁻ branching fraction"),
    (r"Costs of \$5 and 100\% accuracy, or \emph{why} $k \geq 3$", "Costs of $5 and 100% accuracy, or why k ≥ 3"),
    (r"A $\text{state-of-the-art}$ model for $\mathbf{x}\in\{0,1\}^n$", "A state-of-the-art model for x ∈ {0,1}ⁿ"),
    (r"Fran\c{c}ois and Pe\~na on $\mathrm{SL}_2(\mathbb{Z})$ --- revisited", "François and Peña on SL₂(ℤ) — revisited"),
    (r"\(\alpha\)-divergences and \[ \sum_{i=1}^{n} x_i \] in $$\prod_k p_k$$", "α-divergences and ∑ᵢ₌₁ⁿ xᵢ in ∏ₖ pₖ"),
    (
        r"Bounds on $\|A\|_F$ and $\left\{ x : f'(x) \neq 0 \right\}$ via $\operatorname{tr}(A^\top A)$",
        "Bounds on ‖A‖_F and { x : f′(x) ≠ 0 } via tr(Aᵀ A)",
    ),
];

#[test]
fn arxiv_titles() {
    let mut failures = Vec::new();
    for (input, expected) in TITLES {
        let got = latex_to_text(input);
        if got != *expected {
            failures.push(format!("input:    {input:?}\nexpected: {expected:?}\ngot:      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} titles differ:\n\n{}", failures.len(), TITLES.len(), failures.join("\n\n"));
}

#[test]
fn documented_conversions() {
    let cases: &[(&str, &str)] = &[
        // Delimiters.
        ("$x$ and $$y$$ and \\(z\\) and \\[w\\]", "x and y and z and w"),
        // Greek.
        (r"$\alpha\beta\gamma\delta\epsilon\varepsilon\theta\lambda\mu\pi\sigma\phi\omega$", "αβγδεεθλμπσφω"),
        (r"$\Gamma\Delta\Theta\Lambda\Xi\Pi\Sigma\Phi\Psi\Omega$", "ΓΔΘΛΞΠΣΦΨΩ"),
        // Symbols.
        (
            r"$\le \ge \neq \approx \times \cdot \infty \to \rightarrow \leftarrow \pm \sim \in \sum \prod \partial \nabla \ell$",
            "≤ ≥ ≠ ≈ × · ∞ → → ← ± ∼ ∈ ∑ ∏ ∂ ∇ ℓ",
        ),
        (r"$\log n$, $\exp(x)$, $\max_i$", "log n, exp(x), maxᵢ"),
        (
            r"354$\times$ faster, 360$^\circ$ views, ($\geq 4096 \times 4096$)",
            "354× faster, 360° views, (≥ 4096 × 4096)",
        ),
        (r"$a\le b$ $a \le b$ $B\to\pi$ $f\circ g$ $90^\circ$ $n\times m$", "a ≤ b a ≤ b B → π f ∘ g 90° n × m"),
        // Fonts keep their argument.
        (
            r"$\mathcal{O}$ $\mathbb{R}$ $\mathbb{N}$ $\mathbb{Z}$ $\mathbb{Q}$ $\mathbb{C}$ $\mathbb{X}$",
            "O ℝ ℕ ℤ ℚ ℂ X",
        ),
        (r"\textbf{bold} \emph{em} \textit{it} $\text{t}$ $\mathrm{rm}$ $\operatorname{op}$", "bold em it t rm op"),
        // Scripts.
        ("$x^{2}$ $x^2$ $x^{10}$ $x^{n+1}$ $x^{a,b}$ $x^*$ $f^\\prime$", "x² x² x¹⁰ xⁿ⁺¹ x^(a,b) x* f′"),
        ("$x_{i}$ $x_1$ $x_{12}$ $x_{\\alpha}$ $x_{i,j}$ $x_{\\rm max}$", "xᵢ x₁ x₁₂ x_α x_(i,j) xₘₐₓ"),
        // Fractions and roots.
        (r"$\frac{a}{b}$ $\frac{a+b}{2}$ $\frac12$ $\dfrac{1}{n^2}$", "a/b (a+b)/2 1/2 1/n²"),
        (r"$\sqrt{x}$ $\sqrt{x+1}$ $\sqrt[3]{x}$ $\sqrt2$", "√x √(x+1) ∛x √2"),
        // Text.
        (r"\{ a \} a~b x--y x---y ``q''", "{ a } a b x–y x—y “q”"),
        (r#"\"o \'e \`a \^o \~n \c{c} {\"o} \"{u} \'{\i} \ss{} \o{} \aa"#, "ö é à ô ñ ç ö ü í ß ø å"),
        (r"\v{s} \H{o} \u{a} \={a} \.{z}", "š ő ă ā ż"),
        // Unknown commands keep their name.
        (r"$\foo x$ and \bar{y} and \unknowncmd{z}", "foo x and ȳ and unknowncmdz"),
        // Whitespace.
        ("  a \n\t b  ", "a b"),
        ("", ""),
        // A lone or unbalanced `$` stays literal; unbalanced braces are tolerated.
        ("costs $5", "costs $5"),
        ("{a {b} c", "a b c"),
        ("a} b}", "a b"),
        (r"$\frac{a$ b", "a/ b"),
        // Trailing backslash, empty commands.
        ("x \\", "x"),
        (r"$x^$ $\frac{}{}$ $\sqrt{}$", "x / √"),
        // Probability and expectation in math, pilcrow and section in text.
        (r"$\P(X) \E[X]$ \P \S", "ℙ(X) 𝔼[X] ¶ §"),
        (r"$a \not= b$ $x \not\in S$", "a ≠ b x ∉ S"),
        // Greek letters mangled into accents on their way to the metadata (real abstracts).
        (
            r"(\r{ho} = 0.91), \k{appa} = 0.665, \b{eta}-GPP, but \r{a} and \c{c}",
            "(ρ = 0.91), κ = 0.665, β-GPP, but å and ç",
        ),
        // Common packages' macros keep their text.
        (
            r"\gls{LLM}s \eg with \SI{5}{ms} over $\F_{2^n}$ and $a \xrightarrow{f} b$",
            "LLMs e.g. with 5 ms over 𝔽_(2ⁿ) and a → b",
        ),
        (
            r"\url{http://x.org/~a_b} \href{https://y.org}{site} title\thanks{funded} \cite{k}",
            "http://x.org/~a_b site (https://y.org) title [k]",
        ),
    ];
    let mut failures = Vec::new();
    for (input, expected) in cases {
        let got = latex_to_text(input);
        if got != *expected {
            failures.push(format!("input:    {input:?}\nexpected: {expected:?}\ngot:      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} cases differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn every_title_and_abstract_of_the_snapshot_head() {
    // Real data: nothing panics, math delimiters are gone, no backslash commands remain
    // in the titles (abstracts may hold an escaped `\$` or other rare constructs).
    let path = crate::message::shared_data().join("arxiv/kaggle-oai-snapshot-head200.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut n = 0;
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let title = record["title"].as_str().unwrap();
        let abstract_text = record["abstract"].as_str().unwrap();
        let t = latex_to_text(title);
        assert!(!t.contains('$') && !t.contains('\\'), "{title:?} -> {t:?}");
        assert!(!t.is_empty());
        let a = latex_to_text(abstract_text);
        assert!(!a.contains("  ") && a.trim() == a, "{a:?}");
        n += 1;
    }
    assert_eq!(n, 200);
}

/// A piece of text outside math: no `$` and no backslash (so no escaped dollar).
fn text_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ,.:;()'-]{1,12}",
        Just("--".to_string()),
        Just("~".to_string()),
        Just(r#"\"o"#.to_string()),
        Just(r"\emph{word}".to_string()),
        Just("{group}".to_string()),
    ]
}

/// A token inside math: braces balanced, no `$`.
fn math_token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 +=<>(),.-]{1,4}",
        Just(r"\alpha".to_string()),
        Just(r"\frac{a}{b}".to_string()),
        Just(r"\sqrt{x+1}".to_string()),
        Just("^{2}".to_string()),
        Just("_i".to_string()),
        Just("^".to_string()),
        Just("_".to_string()),
        Just("'".to_string()),
        Just(r"\{".to_string()),
        Just(r"\}".to_string()),
        Just(r"\mathbb{R}".to_string()),
        Just(r"\text{in $x$ words}".to_string()),
        Just(r"\unknown".to_string()),
        Just(r"\left(".to_string()),
        Just(r"\right.".to_string()),
        Just(r"\,".to_string()),
        Just("{x}".to_string()),
    ]
}

fn math_span() -> impl Strategy<Value = String> {
    (prop::collection::vec(math_token(), 1..6), 0..3usize).prop_map(|(tokens, kind)| {
        let body = tokens.concat();
        match kind {
            0 => format!("${body}$"),
            1 => format!("$${body}$$"),
            _ => format!("\\({body}\\)"),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_and_collapses_whitespace(s in "\\PC{0,80}") {
        let out = latex_to_text(&s);
        prop_assert_eq!(out.trim(), out.as_str());
        prop_assert!(!out.contains("  "));
        prop_assert!(!out.contains('\n'));
    }

    #[test]
    fn never_panics_on_latex_like_input(s in r"[\\{}$^_~a-z0-9 \[\]()'`-]{0,80}") {
        let out = latex_to_text(&s);
        prop_assert_eq!(out.trim(), out.as_str());
    }

    #[test]
    fn balanced_math_leaves_no_dollar(
        pieces in prop::collection::vec(prop_oneof![text_piece(), math_span()], 0..8)
    ) {
        let input = pieces.concat();
        let out = latex_to_text(&input);
        prop_assert!(!out.contains('$'), "{:?} -> {:?}", input, out);
    }
}
