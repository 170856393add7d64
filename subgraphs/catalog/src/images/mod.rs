//! Product images: checked by their bytes, resized into variants, kept in
//! GridFS and served over HTTP with validators and long-lived caching.

pub mod http;
pub mod storage;

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, imageops::FilterType};
use kit::AppError;

/// Widths of the variants made of every image larger than them.
pub const VARIANT_WIDTHS: [u32; 2] = [200, 800];
/// Neither side may pass this, so a small file cannot decode to gigabytes.
const MAX_SIDE: u32 = 12_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
}

impl Format {
    /// By the file's first bytes; the name and declared type are the
    /// client's word, the bytes are not.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::WebP => ImageFormat::WebP,
        }
    }
}

/// One stored rendition of an image.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
}

#[derive(Debug, Clone)]
pub struct Processed {
    /// The upload as it came (its bytes are kept, not re-encoded).
    pub original: Rendition,
    /// Smaller copies, narrowest first.
    pub variants: Vec<Rendition>,
}

/// Checks that `bytes` are a JPEG, PNG or WebP image that decodes, and
/// makes its variants. CPU-bound: call it off the async workers.
pub fn process(bytes: Vec<u8>) -> Result<Processed, AppError> {
    let format = Format::sniff(&bytes)
        .ok_or_else(|| AppError::bad_input("the file is not a JPEG, PNG or WebP image"))?;
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format.image_format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| {
        tracing::info!(error = %e, "an uploaded image did not decode");
        AppError::bad_input(format!(
            "the file is not a readable {} image",
            format.content_type().trim_start_matches("image/").to_uppercase()
        ))
    })?;
    let variants = VARIANT_WIDTHS
        .iter()
        .filter(|width| decoded.width() > **width)
        .map(|width| variant(&decoded, *width))
        .collect::<Result<Vec<_>, _>>()?;
    let original = Rendition {
        width: decoded.width(),
        height: decoded.height(),
        content_type: format.content_type(),
        bytes,
    };
    Ok(Processed { original, variants })
}

/// `width` wide, the height in proportion; JPEG, or PNG to keep
/// transparency.
fn variant(image: &DynamicImage, width: u32) -> Result<Rendition, AppError> {
    let resized = image.resize(width, MAX_SIDE, FilterType::Triangle);
    let mut bytes = Vec::new();
    let content_type = if resized.color().has_alpha() {
        resized
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .map_err(AppError::internal)?;
        "image/png"
    } else {
        let rgb = DynamicImage::ImageRgb8(resized.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85);
        rgb.write_with_encoder(encoder).map_err(AppError::internal)?;
        "image/jpeg"
    };
    Ok(Rendition { bytes, width: resized.width(), height: resized.height(), content_type })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgba8(width, height);
        let mut bytes = Vec::new();
        image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).expect("png");
        bytes
    }

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(Format::sniff(&png(1, 1)), Some(Format::Png));
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::sniff(b"GIF89a"), None);
        assert_eq!(Format::sniff(b"%PDF-1.7"), None);
    }

    #[test]
    fn variants_are_made_only_below_the_original_width_keeping_proportions() {
        let processed = process(png(1000, 500)).expect("processed");
        assert_eq!((processed.original.width, processed.original.height), (1000, 500));
        let sizes: Vec<_> = processed.variants.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, [(200, 100), (800, 400)]);
        // Transparency is kept.
        assert!(processed.variants.iter().all(|v| v.content_type == "image/png"));
        let small = process(png(300, 300)).expect("processed");
        assert_eq!(small.variants.len(), 1);
    }

    #[test]
    fn a_file_that_only_starts_like_an_image_is_refused() {
        let mut broken = png(10, 10);
        broken.truncate(20);
        assert!(process(broken).is_err());
        assert!(process(b"not an image at all".to_vec()).is_err());
    }
}
