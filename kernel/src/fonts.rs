//! The fonts embedded in the product's PDFs (certificates, handover records): parsed once per
//! process, and which characters they can draw — what `validate::certificate_text` checks
//! when a name is typed, before it ever reaches a certificate.

use krilla::text::Font;
use std::sync::LazyLock;

static SERIF: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Regular.ttf");
static SERIF_BOLD: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Bold.ttf");
static SERIF_ITALIC: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Italic.ttf");
static SANS: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Regular.ttf");
static SANS_BOLD: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Bold.ttf");

/// One font: what krilla embeds and what rustybuzz shapes with (the same bytes).
pub struct Face {
    pub pdf: Font,
    pub shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn load(data: &'static [u8]) -> Option<Self> {
        Some(Face {
            pdf: Font::new(data.into(), 0)?,
            shaper: rustybuzz::Face::from_slice(data, 0)?,
        })
    }
}

pub struct Fonts {
    pub serif: Face,
    pub serif_bold: Face,
    pub serif_italic: Face,
    pub sans: Face,
    pub sans_bold: Face,
}

/// Parsed once per process; `None` only if an embedded file were not a font.
pub static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        serif: Face::load(SERIF)?,
        serif_bold: Face::load(SERIF_BOLD)?,
        serif_italic: Face::load(SERIF_ITALIC)?,
        sans: Face::load(SANS)?,
        sans_bold: Face::load(SANS_BOLD)?,
    })
});

/// The characters of `text` some embedded face has no glyph for, each once.
pub fn missing_glyphs(text: &str, faces: &[&Face]) -> Vec<char> {
    let mut missing: Vec<char> = Vec::new();
    for c in compose_accents(text).chars() {
        let drawable = c.is_whitespace() || faces.iter().all(|f| f.shaper.glyph_index(c).is_some());
        if !drawable && !missing.contains(&c) {
            missing.push(c);
        }
    }
    missing
}

/// The characters of `text` a certificate cannot print (for validating names when they are
/// typed: see [`crate::validate::certificate_text`]).
pub fn unprintable(text: &str) -> Vec<char> {
    match FONTS.as_ref() {
        Some(fonts) => missing_glyphs(
            text,
            &[
                &fonts.serif,
                &fonts.serif_bold,
                &fonts.serif_italic,
                &fonts.sans,
                &fonts.sans_bold,
            ],
        ),
        None => Vec::new(),
    }
}

/// Letters typed as base + combining accent (as some systems send them: "N" + U+0303) become
/// the single precomposed letter, so the PDF's text reads "Ñ" and search finds it. Only the
/// combinations Latin names use are composed; anything else is left as it is (the shaper still
/// places the mark on its letter). Any white space (tabs, line breaks) prints as a space.
pub fn compose_accents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            out.push(' ');
            continue;
        }
        let composed = chars.peek().and_then(|&mark| compose(c, mark));
        match composed {
            Some(letter) => {
                out.push(letter);
                chars.next();
            }
            None => out.push(c),
        }
    }
    out
}

fn compose(base: char, mark: char) -> Option<char> {
    const BASES: &str = "aeiouAEIOU";
    let row: [char; 10] = match mark {
        '\u{301}' => ['á', 'é', 'í', 'ó', 'ú', 'Á', 'É', 'Í', 'Ó', 'Ú'],
        '\u{300}' => ['à', 'è', 'ì', 'ò', 'ù', 'À', 'È', 'Ì', 'Ò', 'Ù'],
        '\u{308}' => ['ä', 'ë', 'ï', 'ö', 'ü', 'Ä', 'Ë', 'Ï', 'Ö', 'Ü'],
        '\u{302}' => ['â', 'ê', 'î', 'ô', 'û', 'Â', 'Ê', 'Î', 'Ô', 'Û'],
        '\u{303}' => {
            return match base {
                'n' => Some('ñ'),
                'N' => Some('Ñ'),
                'a' => Some('ã'),
                'o' => Some('õ'),
                'A' => Some('Ã'),
                'O' => Some('Õ'),
                _ => None,
            };
        }
        '\u{327}' => {
            return match base {
                'c' => Some('ç'),
                'C' => Some('Ç'),
                _ => None,
            };
        }
        _ => return None,
    };
    BASES.chars().position(|b| b == base).map(|i| row[i])
}
