//! Product images uploaded through the router (GraphQL multipart request)
//! and served by catalog.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat};
use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::platform::Platform;

const UPLOAD: &str = "mutation($p: ID!, $f: Upload!, $alt: String) { uploadProductImage(productId: $p, file: $f, alt: $alt) { media { url alt width height contentType variants { url width height contentType } } images } }";

/// A JPEG of `width` × `height`, a gradient (so it is not trivially small).
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
        .expect("jpeg");
    bytes
}

/// A GraphQL multipart request body: `operations`, `map`, then one file
/// part named "0".
fn multipart(operations: &Value, map: &Value, file: &[u8], content_type: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in [("operations", operations), ("map", map)] {
        body.extend_from_slice(
            format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--XyZ\r\nContent-Disposition: form-data; name=\"0\"; filename=\"upload\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    body
}

async fn upload(
    platform: &Platform,
    token: &str,
    operations: Value,
    map: Value,
    file: &[u8],
    preflight: bool,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(platform.router_url("/graphql"))
        .bearer_auth(token)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(multipart(&operations, &map, file, "image/jpeg"));
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    let response = request.send().await.expect("router");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn operations(product: &str) -> Value {
    json!({ "query": UPLOAD, "variables": { "p": product, "f": null, "alt": "A chair, from the front" } })
}

#[sqlx::test(migrations = false)]
async fn an_image_uploaded_through_the_router_is_resized_stored_and_served_with_caching(
    pool: PgPool,
) {
    let platform = Platform::start(pool).await;
    let admin = platform.admin().await;
    let product = platform.products("chair", 1).await.remove(0);
    let to_file = json!({ "0": ["variables.f"] });

    let (status, uploaded) =
        upload(&platform, &admin, operations(&product), to_file.clone(), &jpeg(1000, 500), true)
            .await;
    assert_eq!(status, 200, "{uploaded}");
    let media = uploaded["data"]["uploadProductImage"]["media"]
        .as_array()
        .unwrap_or_else(|| panic!("{uploaded}"));
    let image = media.last().expect("the uploaded image");
    assert_eq!((image["width"].as_i64(), image["height"].as_i64()), (Some(1000), Some(500)));
    assert_eq!(image["alt"], "A chair, from the front");
    assert_eq!(image["contentType"], "image/jpeg");
    let images = &uploaded["data"]["uploadProductImage"]["images"];
    assert!(
        images.as_array().is_some_and(|all| all.contains(&image["url"])),
        "the deprecated list names it too: {images}"
    );

    let http = reqwest::Client::new();
    let variants = image["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 2, "{image}");
    for (variant, (width, height)) in variants.iter().zip([(200, 100), (800, 400)]) {
        assert_eq!(
            (variant["width"].as_i64(), variant["height"].as_i64()),
            (Some(width), Some(height))
        );
        let url = variant["url"].as_str().expect("url");
        let response = http.get(url).send().await.expect("image");
        assert_eq!(response.status().as_u16(), 200, "{url}");
        let etag = response.headers()["etag"].to_str().expect("etag").to_owned();
        let caching = response.headers()["cache-control"].to_str().expect("cache-control");
        assert!(caching.contains("immutable") && caching.contains("max-age="), "{caching}");
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let bytes = response.bytes().await.expect("bytes");
        let decoded = image::load_from_memory(&bytes).expect("a real image");
        assert_eq!((decoded.width(), decoded.height()), (width as u32, height as u32));
        let again = http.get(url).header("if-none-match", &etag).send().await.expect("image");
        assert_eq!(again.status().as_u16(), 304, "revalidated by its ETag");
    }
    let original = http.get(image["url"].as_str().expect("url")).send().await.expect("image");
    let original = image::load_from_memory(&original.bytes().await.expect("bytes")).expect("image");
    assert_eq!(original.width(), 1000);

    // A file that is not an image: refused, and the product is unchanged.
    let (_, refused) = upload(
        &platform,
        &admin,
        operations(&product),
        to_file.clone(),
        b"%PDF-1.7 definitely not a picture",
        true,
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    let after = platform
        .graphql(
            "query($id: ID) { product(id: $id) { media { url } } }",
            json!({ "id": product }),
            None,
        )
        .await;
    assert_eq!(after["data"]["product"]["media"].as_array().map(Vec::len), Some(media.len()));

    // A file sent to a variable that is not an `Upload` argument.
    let (_, misplaced) = upload(
        &platform,
        &admin,
        operations(&product),
        json!({ "0": ["variables.alt"] }),
        &jpeg(10, 10),
        true,
    )
    .await;
    assert_eq!(misplaced["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{misplaced}");

    // Without a header that forces a browser preflight: the CSRF rule.
    let (status, csrf) =
        upload(&platform, &admin, operations(&product), to_file.clone(), &jpeg(10, 10), false)
            .await;
    assert_eq!(status, 400, "{csrf}");
    assert_eq!(csrf["errors"][0]["extensions"]["code"], "CSRF_PREVENTION");

    // Customers cannot upload.
    let customer = platform.customer("uploader@example.com").await;
    let (_, forbidden) =
        upload(&platform, &customer, operations(&product), to_file, &jpeg(10, 10), true).await;
    assert!(forbidden["data"]["uploadProductImage"].is_null(), "{forbidden}");
    assert!(forbidden["errors"].is_array(), "{forbidden}");
    let last = platform
        .graphql(
            "query($id: ID) { product(id: $id) { media { url } } }",
            json!({ "id": product }),
            None,
        )
        .await;
    assert_eq!(last["data"]["product"]["media"].as_array().map(Vec::len), Some(media.len()));
    platform.stop().await;
}
