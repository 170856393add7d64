import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { Loading, ProblemMessage } from '../components/Status';
import { Thumbnail } from '../components/Thumbnail';
import { graphql } from '../gql';
import type { ProductSort } from '../gql/graphql';

const PAGE_SIZE = 12;

const ProductsQuery = graphql(`
  query Products($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {
    products(filter: $filter, sort: $sort, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          slug
          name
          price { formatted }
          averageRating
          reviewCount
          inStock
        }
      }
    }
  }
`);

const CategoriesQuery = graphql(`
  query Categories {
    categories { id name }
  }
`);

const SORTS: { value: ProductSort; label: string }[] = [
  { value: 'NEWEST', label: 'Newest' },
  { value: 'PRICE_ASC', label: 'Price, low to high' },
  { value: 'PRICE_DESC', label: 'Price, high to low' },
  { value: 'RATING', label: 'Best rated' },
  { value: 'NAME', label: 'Name' },
];

/** Major units typed by the customer ("12.50") to minor units (1250). */
function toMinor(text: string | null): number | undefined {
  if (!text) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 100) : undefined;
}

/**
 * Search, filters and sort live in the URL, so a result page can be
 * shared and the back button works. Paging is by cursor: `after` is in the
 * URL too, and the cursors of earlier pages are kept for "Previous".
 */
export function ProductsPage() {
  const [params, setParams] = useSearchParams();
  const [categories] = useQuery({ query: CategoriesQuery });
  const [previous, setPrevious] = useState<(string | null)[]>([]);
  const search = params.get('q') ?? '';
  const after = params.get('after');
  const sort = (params.get('sort') as ProductSort | null) ?? 'NEWEST';

  const [result] = useQuery({
    query: ProductsQuery,
    variables: {
      filter: {
        search: search || undefined,
        categoryId: params.get('category') || undefined,
        minPrice: toMinor(params.get('min')),
        maxPrice: toMinor(params.get('max')),
      },
      sort,
      first: PAGE_SIZE,
      after,
    },
  });

  const applyFilters = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of ['q', 'category', 'min', 'max', 'sort']) {
      const value = String(form.get(key) ?? '').trim();
      if (value) next.set(key, value);
    }
    setPrevious([]);
    setParams(next);
  };

  const goTo = (cursor: string | null) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set('after', cursor);
    else next.delete('after');
    setParams(next);
    document.getElementById('results-heading')?.focus();
  };

  const products = result.data?.products;
  return (
    <section>
      <h1>Products</h1>
      <form className="filters" role="search" aria-label="Products" onSubmit={applyFilters} key={params.toString()}>
        <div className="field grow">
          <label htmlFor="q">Search</label>
          <input id="q" name="q" type="search" defaultValue={search} placeholder="Name, SKU or tag" />
        </div>
        <div className="field">
          <label htmlFor="category">Category</label>
          <select id="category" name="category" defaultValue={params.get('category') ?? ''}>
            <option value="">All categories</option>
            {categories.data?.categories.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field small">
          <label htmlFor="min">Min price</label>
          <input id="min" name="min" type="number" min="0" step="0.01" inputMode="decimal" defaultValue={params.get('min') ?? ''} />
        </div>
        <div className="field small">
          <label htmlFor="max">Max price</label>
          <input id="max" name="max" type="number" min="0" step="0.01" inputMode="decimal" defaultValue={params.get('max') ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="sort">Sort by</label>
          <select id="sort" name="sort" defaultValue={sort}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>

      <h2 id="results-heading" tabIndex={-1} aria-live="polite">
        {products ? `${products.totalCount} ${products.totalCount === 1 ? 'product' : 'products'}` : 'Results'}
      </h2>
      {result.fetching && <Loading what="products" />}
      {result.error && <ProblemMessage error={result.error} />}
      {products && products.edges.length === 0 && <p>No products match. Try fewer filters.</p>}
      <ul
        className="product-grid"
        aria-busy={result.fetching}
        aria-label={search ? `Products matching ${search}` : 'All products'}
      >
        {products?.edges.map(({ node }) => (
          <li key={node.id} className="product-card">
            <Thumbnail name={node.name} />
            <h3>
              <Link to={`/products/${node.slug}`}>{node.name}</Link>
            </h3>
            <p className="price">{node.price.formatted}</p>
            <p className="meta">
              {node.averageRating != null ? `${node.averageRating.toFixed(1)} of 5 (${node.reviewCount} reviews)` : 'No reviews yet'}
              {' · '}
              {node.inStock ? 'In stock' : 'Out of stock'}
            </p>
          </li>
        ))}
      </ul>
      {products && (after || products.pageInfo.hasNextPage) && (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            disabled={!after}
            onClick={() => {
              const back = previous[previous.length - 1] ?? null;
              setPrevious(previous.slice(0, -1));
              goTo(back);
            }}
          >
            Previous
          </button>
          <button
            type="button"
            disabled={!products.pageInfo.hasNextPage}
            onClick={() => {
              setPrevious([...previous, after]);
              goTo(products.pageInfo.endCursor ?? null);
            }}
          >
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
