//! Image files in a GridFS bucket (`images.files`, `images.chunks`), each
//! under an id of ours: the original's is the image's id, a variant's is
//! `<image id>-w<width>`. A file never changes once written.

use futures::{AsyncReadExt, AsyncWriteExt, TryStreamExt};
use mongodb::{
    Database,
    bson::{Bson, doc},
    gridfs::GridFsBucket,
    options::GridFsBucketOptions,
};

use super::Rendition;

#[derive(Clone)]
pub struct ImageStorage {
    bucket: GridFsBucket,
}

/// A file read back, with what it is.
pub struct StoredFile {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl ImageStorage {
    pub fn new(database: &Database) -> Self {
        let options = GridFsBucketOptions::builder().bucket_name("images".to_owned()).build();
        Self { bucket: database.gridfs_bucket(options) }
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn put(&self, id: &str, rendition: &Rendition) -> mongodb::error::Result<()> {
        let mut upload = self
            .bucket
            .open_upload_stream(id)
            .id(Bson::String(id.to_owned()))
            .metadata(doc! {
                "contentType": rendition.content_type,
                "width": i64::from(rendition.width),
                "height": i64::from(rendition.height),
            })
            .await?;
        upload.write_all(&rendition.bytes).await?;
        upload.close().await?;
        Ok(())
    }

    /// The file, or `None` if there is none with this id.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn get(&self, id: &str) -> mongodb::error::Result<Option<StoredFile>> {
        let Some(file) = self.bucket.find(doc! { "_id": id }).await?.try_next().await? else {
            return Ok(None);
        };
        let content_type = file
            .metadata
            .as_ref()
            .and_then(|m| m.get_str("contentType").ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut download = self.bucket.open_download_stream(Bson::String(id.to_owned())).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(file.length).unwrap_or(0));
        download.read_to_end(&mut bytes).await?;
        Ok(Some(StoredFile { bytes, content_type }))
    }
}
