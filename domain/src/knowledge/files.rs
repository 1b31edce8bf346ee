//! A resource's file as it arrives (issue 48): bounded in size ([`MAX_FILE_BYTES`], 413
//! beyond), named safely (no folder, no way out of one), and of an accepted type checked twice:
//! by its extension and by its content's signature ([`check`]). The content type the download
//! answers with comes from the checked type, never from what the client said.

use crate::error::{AppError, AppResult, FieldError};
use std::io::{Cursor, Read, Seek};
use std::path::PathBuf;

/// The largest file the bank keeps: 10 MiB (Rocket's `data-form` and `file` limits are a
/// little larger, so the refusal is this one, in Spanish).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The longest file name kept.
const MAX_NAME_CHARS: usize = 120;

/// A file as uploaded: the name the person's computer gave, its size and its content.
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub size: u64,
    pub content: Content,
}

/// Where an upload's bytes are: in memory, or in the temporary file the web server streamed
/// the request into (issue 62: checked and kept from there, never read whole into memory).
#[derive(Clone, Debug)]
pub enum Content {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Something to read an upload from.
trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl Upload {
    pub fn in_memory(name: impl Into<String>, bytes: Vec<u8>) -> Upload {
        Upload {
            name: name.into(),
            size: bytes.len() as u64,
            content: Content::Bytes(bytes),
        }
    }

    /// A file the web server already wrote to `path` (`size` bytes).
    pub fn on_disk(name: impl Into<String>, path: PathBuf, size: u64) -> Upload {
        Upload {
            name: name.into(),
            size,
            content: Content::File(path),
        }
    }

    fn reader(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(match &self.content {
            Content::Bytes(bytes) => Box::new(Cursor::new(bytes.as_slice())),
            Content::File(path) => Box::new(std::fs::File::open(path)?),
        })
    }

    /// Its bytes (to keep them in the database: the only case that holds a file whole).
    pub async fn into_bytes(self) -> AppResult<Vec<u8>> {
        match self.content {
            Content::Bytes(bytes) => Ok(bytes),
            Content::File(path) => tokio::fs::read(&path)
                .await
                .map_err(|e| AppError::Internal(format!("archivo subido: {e}"))),
        }
    }
}

/// A file that passed the checks: its safe name and the content type it is served with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub name: String,
    pub content_type: &'static str,
}

/// The accepted types: extension, content type, and what the content must look like.
#[derive(Clone, Copy)]
enum Signature {
    Pdf,
    /// An Office Open XML or OpenDocument file: a zip holding this entry.
    ZipWith(&'static str),
    /// An OpenDocument file: a zip whose `mimetype` entry says this.
    OpenDocument(&'static str),
    Png,
    Jpeg,
    /// UTF-8 text without NUL bytes.
    Text,
    Mp4,
    Mp3,
}

const TYPES: &[(&str, &str, Signature)] = &[
    ("pdf", "application/pdf", Signature::Pdf),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Signature::ZipWith("word/document.xml"),
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Signature::ZipWith("xl/workbook.xml"),
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Signature::ZipWith("ppt/presentation.xml"),
    ),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        Signature::OpenDocument("application/vnd.oasis.opendocument.text"),
    ),
    (
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        Signature::OpenDocument("application/vnd.oasis.opendocument.spreadsheet"),
    ),
    ("png", "image/png", Signature::Png),
    ("jpg", "image/jpeg", Signature::Jpeg),
    ("jpeg", "image/jpeg", Signature::Jpeg),
    ("csv", "text/csv; charset=utf-8", Signature::Text),
    ("txt", "text/plain; charset=utf-8", Signature::Text),
    ("mp4", "video/mp4", Signature::Mp4),
    ("mp3", "audio/mpeg", Signature::Mp3),
];

/// What the page and the messages say is accepted.
pub const ACCEPTED: &str = "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), \
    OpenDocument (.odt, .ods), imagen (.png, .jpg), texto (.csv, .txt), video (.mp4) o audio (.mp3)";

/// The `accept` attribute of the page's file field.
pub fn accept_attribute() -> String {
    TYPES
        .iter()
        .map(|(ext, _, _)| format!(".{ext}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks `upload`: 413 beyond [`MAX_FILE_BYTES`]; a name that names a folder or tries to
/// leave one (`/`, `\`, `..`, a leading dot, NUL or other control characters), an empty file,
/// an extension not accepted or content that is not what the extension says: 422 on `file`.
pub fn check(upload: &Upload) -> AppResult<Checked> {
    if upload.size > MAX_FILE_BYTES as u64 {
        return Err(AppError::TooLarge);
    }
    let name = safe_name(&upload.name).map_err(|e| AppError::Validation(vec![e]))?;
    if upload.size == 0 {
        return Err(AppError::invalid("file", "El archivo está vacío."));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, content_type, signature)) = TYPES.iter().find(|(ext, _, _)| *ext == extension)
    else {
        return Err(AppError::invalid(
            "file",
            format!("Este tipo de archivo no se admite. Se admiten: {ACCEPTED}."),
        ));
    };
    let reader = upload
        .reader()
        .map_err(|e| AppError::Internal(format!("archivo subido: {e}")))?;
    if !matches(*signature, reader) {
        return Err(AppError::invalid(
            "file",
            format!(
                "El contenido del archivo no corresponde a su extensión (.{extension}): \
                 revise que sea el archivo correcto."
            ),
        ));
    }
    Ok(Checked { name, content_type })
}

/// The file's name if it is a plain name: no folder (`/`, `\`), no `..`, no leading dot or
/// space, no NUL or other control characters, at most [`MAX_NAME_CHARS`] characters.
pub fn safe_name(raw: &str) -> Result<String, FieldError> {
    let refuse = |message: &str| Err(FieldError::new("file", message));
    let name = crate::validate::nfc(raw);
    if name.trim().is_empty() {
        return refuse("El archivo no tiene nombre: elija el archivo de nuevo.");
    }
    if name.contains('/')
        || name.contains('\\')
        || name.contains("..")
        || name.starts_with('.')
        || name.starts_with(' ')
        || name.chars().any(|c| c.is_control() || c == ':')
        || crate::validate::invisible("file", &name).is_some()
    {
        return refuse(
            "El nombre del archivo no es válido: no puede contener carpetas («/», «\\»), «..», \
             dos puntos ni caracteres de control, ni empezar por un punto. Cámbiele el nombre \
             y súbalo de nuevo.",
        );
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return refuse("El nombre del archivo puede tener máximo 120 caracteres.");
    }
    Ok(name.trim_end().to_string())
}

/// The first `n` bytes (fewer when the file is shorter).
fn head(reader: &mut dyn ReadSeek, n: usize) -> Vec<u8> {
    let mut head = Vec::with_capacity(n);
    if reader.take(n as u64).read_to_end(&mut head).is_err() {
        head.clear();
    }
    head
}

fn matches(signature: Signature, mut reader: Box<dyn ReadSeek + '_>) -> bool {
    let bytes = head(&mut reader, 16);
    match signature {
        Signature::Pdf => bytes.starts_with(b"%PDF-"),
        Signature::ZipWith(entry) => {
            bytes.starts_with(b"PK\x03\x04") && zip_entry(reader, entry).is_some()
        }
        Signature::OpenDocument(mime) => {
            bytes.starts_with(b"PK\x03\x04")
                && zip_entry(reader, "mimetype")
                    .is_some_and(|content| content.trim_ascii() == mime.as_bytes())
        }
        Signature::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        Signature::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        Signature::Text => reader.rewind().is_ok() && is_text(reader),
        Signature::Mp4 => bytes.len() >= 12 && &bytes[4..8] == b"ftyp",
        Signature::Mp3 => {
            bytes.starts_with(b"ID3")
                || (bytes.len() >= 2 && bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0)
        }
    }
}

/// UTF-8 without NUL bytes, read in pieces (a character cut between two pieces is joined).
fn is_text(mut reader: Box<dyn ReadSeek + '_>) -> bool {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut carried = 0;
    loop {
        let read = match reader.read(&mut buffer[carried..]) {
            Ok(read) => read,
            Err(_) => return false,
        };
        if read == 0 {
            return carried == 0;
        }
        let filled = carried + read;
        let piece = &buffer[..filled];
        if piece.contains(&0) {
            return false;
        }
        match std::str::from_utf8(piece) {
            Ok(_) => carried = 0,
            // Cut at the end of the piece: keep its start for the next one.
            Err(error) if error.error_len().is_none() => {
                let valid = error.valid_up_to();
                buffer.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(_) => return false,
        }
    }
}

/// The content of `entry` in the zip being read (at most 1 KiB read: only the `mimetype`
/// entry is read), or `None` when it is not a zip or lacks it.
fn zip_entry(reader: Box<dyn ReadSeek + '_>, entry: &str) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(reader).ok()?;
    let file = archive.by_name(entry).ok()?;
    let mut content = Vec::new();
    file.take(1024).read_to_end(&mut content).ok()?;
    Some(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: &[u8]) -> Upload {
        Upload::in_memory(name, bytes.to_vec())
    }

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, content) in entries {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn accepts_each_type_by_extension_and_content() {
        let docx = zip_with(&[("word/document.xml", b"<w/>")]);
        let odt = zip_with(&[("mimetype", b"application/vnd.oasis.opendocument.text")]);
        for (name, bytes, content_type) in [
            (
                "Guía de rendición.pdf",
                b"%PDF-1.7 ...".to_vec(),
                "application/pdf",
            ),
            (
                "Plan.DOCX",
                docx,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            ("Acta.odt", odt, "application/vnd.oasis.opendocument.text"),
            ("foto.png", b"\x89PNG\r\n\x1a\nrest".to_vec(), "image/png"),
            (
                "datos.csv",
                "municipio;valor\nEl Paujíl;3\n".as_bytes().to_vec(),
                "text/csv; charset=utf-8",
            ),
        ] {
            let checked = check(&upload(name, &bytes)).unwrap();
            assert_eq!(checked.content_type, content_type, "{name}");
            assert_eq!(checked.name, name);
        }
    }

    #[test]
    fn refuses_wrong_content_unknown_types_and_escaping_names() {
        let not_a_pdf = check(&upload("guia.pdf", b"MZ\x90\x00 an executable"));
        assert!(matches!(not_a_pdf, Err(AppError::Validation(ref e)) if e[0].field == "file"));
        let zip_not_docx = zip_with(&[("other.xml", b"x")]);
        assert!(check(&upload("plan.docx", &zip_not_docx)).is_err());
        assert!(check(&upload("script.exe", b"MZ")).is_err());
        assert!(check(&upload("page.html", b"<html>")).is_err());
        for name in [
            "../../etc/passwd.pdf",
            "carpeta/guia.pdf",
            "C:\\guia.pdf",
            "..pdf",
            ".oculto.pdf",
            "guia\0.pdf",
            "guia\n.pdf",
            "",
        ] {
            let refused = check(&upload(name, b"%PDF-1.7"));
            assert!(
                matches!(refused, Err(AppError::Validation(ref e)) if e[0].field == "file"),
                "{name:?}"
            );
        }
    }

    #[test]
    fn a_file_on_disk_is_checked_without_reading_it_whole() {
        let dir = std::env::temp_dir().join(format!("aula-banco-{:x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let on_disk = |name: &str, bytes: &[u8]| {
            let path = dir.join(format!("{:x}", rand::random::<u64>()));
            std::fs::write(&path, bytes).unwrap();
            Upload::on_disk(name, path, bytes.len() as u64)
        };
        // Text longer than one piece, with a two-byte character cut between two pieces.
        let mut text = "a".repeat(64 * 1024 - 1).into_bytes();
        text.extend_from_slice("ñandú\n".repeat(20_000).as_bytes());
        assert!(check(&on_disk("datos.csv", &text)).is_ok());
        text.extend_from_slice(b"\xff");
        assert!(check(&on_disk("datos.csv", &text)).is_err(), "not UTF-8");
        let docx = zip_with(&[("word/document.xml", b"<w/>")]);
        assert!(check(&on_disk("Plan.docx", &docx)).is_ok());
        assert!(check(&on_disk("guia.pdf", b"%PDF-1.7 ...")).is_ok());
        assert!(check(&on_disk("guia.pdf", b"MZ\x90")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_file_beyond_the_limit_with_413() {
        let mut bytes = b"%PDF-1.7".to_vec();
        bytes.resize(MAX_FILE_BYTES + 1, b' ');
        assert!(matches!(
            check(&upload("grande.pdf", &bytes)),
            Err(AppError::TooLarge)
        ));
        bytes.truncate(MAX_FILE_BYTES);
        assert!(check(&upload("justo.pdf", &bytes)).is_ok());
    }
}
