import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { Loading, ProblemMessage } from '../components/Status';
import { graphql } from '../gql';
import { statusLabel } from './orderStatus';

const PAGE_SIZE = 10;

const OrdersQuery = graphql(`
  query MyOrders($first: Int!, $after: String) {
    me {
      id
      orders(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            id
            number
            status
            placedAt
            total { formatted }
            items { quantity }
          }
        }
      }
    }
  }
`);

export function OrdersPage() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  const [result] = useQuery({ query: OrdersQuery, variables: { first: PAGE_SIZE, after }, requestPolicy: 'cache-and-network' });

  if (result.fetching && !result.data) return <Loading what="your orders" />;
  if (result.error) return <ProblemMessage error={result.error} />;
  const orders = result.data?.me?.orders;
  return (
    <section>
      <h1>Your orders</h1>
      {!orders || orders.totalCount === 0 ? (
        <p className="empty">
          No orders yet. <Link to="/">Start shopping</Link>
        </p>
      ) : (
        <>
          <table className="orders">
            <caption className="visually-hidden">{orders.totalCount} orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Items</th>
                <th scope="col">Total</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {orders.edges.map(({ node }) => (
                <tr key={node.id}>
                  <th scope="row">
                    <Link to={`/orders/${node.id}`}>{node.number}</Link>
                  </th>
                  <td>{new Date(node.placedAt).toLocaleString()}</td>
                  <td>{node.items.reduce((n, i) => n + i.quantity, 0)}</td>
                  <td>{node.total.formatted}</td>
                  <td>
                    <span className={`status status-${node.status.toLowerCase()}`}>{statusLabel(node.status)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer
            </button>
            <button type="button" disabled={!orders.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, orders.pageInfo.endCursor ?? null])}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
