//! Diagnostics as plain data: a code, a level, bilingual text and labelled spans. Rendering lives in `report`.

use crate::source::Span;
use serde::Serialize;

/// Which language a user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// A message in both languages. Wording lives where the message is made, one place per phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Msg {
    pub zh: String,
    pub en: String,
}

impl Msg {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// How serious a diagnostic about a policy or an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: Option<Msg>,
}

/// A problem found in a policy (E-codes) or in an input file (I-codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub level: Level,
    pub message: Msg,
    /// The first label is the primary one.
    pub labels: Vec<Label>,
    pub notes: Vec<Msg>,
    pub help: Option<Msg>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: Msg) -> Diagnostic {
        Diagnostic {
            code,
            level: Level::Error,
            message,
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: Msg) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_label(mut self, span: Span, message: Option<Msg>) -> Diagnostic {
        self.labels.push(Label { span, message });
        self
    }

    pub fn with_note(mut self, note: Msg) -> Diagnostic {
        self.notes.push(note);
        self
    }

    pub fn with_help(mut self, help: Msg) -> Diagnostic {
        self.help = Some(help);
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// Suggests the known name closest to `name`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for k in known {
        let score = strsim::normalized_levenshtein(name, k);
        let threshold = if name.chars().count() <= 3 { 0.5 } else { 0.6 };
        if score >= threshold && best.map(|(_, s)| score > s).unwrap_or(true) {
            best = Some((k, score));
        }
    }
    best.map(|(k, _)| k)
}

/// Locating a diagnostic's primary span as file, line and column.
pub trait SourceMapExt {
    fn locate(&self, d: &Diagnostic) -> (String, usize, usize);
}

impl SourceMapExt for crate::source::SourceMap {
    fn locate(&self, d: &Diagnostic) -> (String, usize, usize) {
        match d.primary_span() {
            Some(s) => {
                let (l, c) = self.line_col(s.source, s.start as usize);
                (self.name(s.source).to_string(), l, c)
            }
            None => (String::new(), 0, 0),
        }
    }
}

/// The strings one after another: what `format!("{a}{b}…")` makes, sized once. (`format!` that
/// starts with an argument reserves nothing and grows the string piece by piece; explanations
/// are built from many such pieces, once per finding.)
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

#[cfg(test)]
mod cat_tests {
    #[test]
    fn cat_is_format_of_its_parts() {
        let (a, n) = ("住房建筑面积 208 m²", 25);
        let n = n.to_string();
        assert_eq!(
            super::cat(&[a, " / ", "家庭人口 8人", " = ", &n, "（不成立）"]),
            format!("{a} / 家庭人口 8人 = {n}（不成立）")
        );
        assert_eq!(super::cat(&[]), "");
    }
}
