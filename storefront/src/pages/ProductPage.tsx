import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { Loading, ProblemMessage } from '../components/Status';
import { Thumbnail } from '../components/Thumbnail';
import { graphql } from '../gql';
import { useSession } from '../session';

const REVIEWS_PAGE = 5;

type Media = {
  url: string;
  alt?: string | null;
  width?: number | null;
  height?: number | null;
  contentType?: string | null;
  variants: { url: string; width: number }[];
};

// The first uploaded image (the catalog's typed-in URLs are placeholders
// that cannot load), with its variants for the browser to choose from.
function Photo({ product }: { product: { name: string; media: Media[] } }) {
  const photo = product.media.find((m) => m.contentType);
  if (!photo) return <Thumbnail name={product.name} size="large" />;
  const sources = [...photo.variants.map((v) => `${v.url} ${v.width}w`)];
  if (photo.width) sources.push(`${photo.url} ${photo.width}w`);
  return (
    <img
      className="photo"
      src={photo.variants.at(-1)?.url ?? photo.url}
      srcSet={sources.join(', ')}
      sizes="(max-width: 700px) 100vw, 400px"
      alt={photo.alt ?? product.name}
      width={photo.width ?? undefined}
      height={photo.height ?? undefined}
    />
  );
}

const ProductQuery = graphql(`
  query Product($slug: String!, $reviews: Int!) {
    product(slug: $slug) {
      id
      name
      sku
      description
      price { formatted }
      salePrice { formatted }
      activePromotion { name }
      media { url alt width height contentType variants { url width } }
      category { id name }
      tags
      weightGrams
      inStock
      availableQuantity
      shippingEstimate { formatted }
      averageRating
      reviewCount
      reviews(first: $reviews) {
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            id
            rating
            title
            body
            createdAt
            author { name }
          }
        }
      }
    }
  }
`);

const AddToCartMutation = graphql(`
  mutation AddToCart($productId: ID!, $quantity: Int!) {
    addToCart(productId: $productId, quantity: $quantity) {
      id
      itemCount
    }
  }
`);

export function ProductPage() {
  const { slug = '' } = useParams();
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [reviews, setReviews] = useState(REVIEWS_PAGE);
  const [result] = useQuery({ query: ProductQuery, variables: { slug, reviews } });
  const [adding, addToCart] = useMutation(AddToCartMutation);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | null>(null);

  if (result.fetching && !result.data) return <Loading what="the product" />;
  if (result.error) return <ProblemMessage error={result.error} />;
  const product = result.data?.product;
  if (!product) {
    return (
      <section>
        <h1>Product not found</h1>
        <p>
          It may have been removed. <Link to="/">Back to all products</Link>
        </p>
      </section>
    );
  }

  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!session) {
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    setAdded(null);
    const outcome = await addToCart({ productId: product.id, quantity });
    if (outcome.data) setAdded(quantity);
  };

  const maxQuantity = Math.max(1, Math.min(99, product.availableQuantity));
  return (
    <article className="product">
      <Photo product={product} />
      <div className="details">
        <h1>{product.name}</h1>
        {product.salePrice ? (
          <p className="price">
            <del aria-label={`Was ${product.price.formatted}`}>{product.price.formatted}</del>{' '}
            <ins aria-label={`Now ${product.salePrice.formatted}`}>{product.salePrice.formatted}</ins>
            {product.activePromotion && <span className="promotion"> · {product.activePromotion.name}</span>}
          </p>
        ) : (
          <p className="price">{product.price.formatted}</p>
        )}
        <p className="meta">
          SKU {product.sku}
          {product.category && <> · {product.category.name}</>}
          {product.shippingEstimate && <> · Shipping from {product.shippingEstimate.formatted}</>}
        </p>
        <p className={product.inStock ? 'stock in' : 'stock out'}>
          {product.inStock ? `In stock: ${product.availableQuantity} available` : 'Out of stock'}
        </p>
        <p>{product.description}</p>
        {product.tags.length > 0 && (
          <ul className="tags" aria-label="Tags">
            {product.tags.map((tag) => (
              <li key={tag}>{tag}</li>
            ))}
          </ul>
        )}
        <form className="add-to-cart" onSubmit={add}>
          <label htmlFor="quantity">Quantity</label>
          <input
            id="quantity"
            type="number"
            min={1}
            max={maxQuantity}
            value={quantity}
            onChange={(e) => setQuantity(Math.max(1, Math.min(maxQuantity, Number(e.target.value) || 1)))}
          />
          <button type="submit" disabled={!product.inStock || adding.fetching}>
            {adding.fetching ? 'Adding…' : 'Add to cart'}
          </button>
        </form>
        <div aria-live="polite">
          {added != null && (
            <p className="notice">
              Added {added} to your cart. <Link to="/cart">View cart</Link>
            </p>
          )}
        </div>
        {adding.error && <ProblemMessage error={adding.error} />}
      </div>

      <section className="reviews" aria-labelledby="reviews-heading">
        <h2 id="reviews-heading">
          Reviews{' '}
          {product.averageRating != null && (
            <span className="meta">
              ({product.averageRating.toFixed(1)} of 5 from {product.reviewCount})
            </span>
          )}
        </h2>
        {product.reviews.edges.length === 0 && <p>No reviews yet.</p>}
        <ul>
          {product.reviews.edges.map(({ node }) => (
            <li key={node.id} className="review">
              <h3>
                <span aria-label={`${node.rating} of 5 stars`}>{'★'.repeat(node.rating) + '☆'.repeat(5 - node.rating)}</span> {node.title}
              </h3>
              <p>{node.body}</p>
              <p className="meta">
                {node.author.name}, {new Date(node.createdAt).toLocaleDateString()}
              </p>
            </li>
          ))}
        </ul>
        {product.reviews.pageInfo.hasNextPage && (
          <button type="button" onClick={() => setReviews(reviews + REVIEWS_PAGE)} disabled={result.fetching}>
            More reviews
          </button>
        )}
      </section>
    </article>
  );
}
