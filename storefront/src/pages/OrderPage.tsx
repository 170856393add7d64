import { useEffect, useRef, useState } from 'react';
import { useParams } from 'react-router-dom';
import { useMutation, useQuery, useSubscription } from 'urql';
import { Loading, ProblemMessage } from '../components/Status';
import { graphql } from '../gql';
import type { OrderDetailsFragment, ShipmentDetailsFragment } from '../gql/graphql';
import { isFinal, JOURNEY, statusLabel } from './orderStatus';

graphql(`
  fragment ShipmentDetails on Shipment {
    id
    carrier
    trackingNumber
    status
    estimatedDelivery
    events { status location description at }
  }
`);

graphql(`
  fragment OrderDetails on Order {
    id
    number
    status
    placedAt
    subtotal { formatted }
    shippingCost { formatted }
    total { formatted }
    items { productName quantity unitPrice { formatted } lineTotal { formatted } }
    shippingAddress { name line1 line2 city region postalCode country }
    statusHistory { status at reason }
    payment { status failureReason }
    shipment { ...ShipmentDetails }
  }
`);

const OrderQuery = graphql(`
  query Order($id: ID!) {
    order(id: $id) { ...OrderDetails }
  }
`);

const OrderStatusSubscription = graphql(`
  subscription FollowOrder($id: ID!) {
    orderStatusChanged(orderId: $id) {
      status
      at
      order { ...OrderDetails }
    }
  }
`);

const ShipmentSubscription = graphql(`
  subscription FollowShipment($id: ID!) {
    shipmentUpdated(orderId: $id) { ...ShipmentDetails }
  }
`);

const CancelMutation = graphql(`
  mutation CancelOrder($id: ID!) {
    cancelOrder(id: $id, reason: "Cancelled by the customer") { ...OrderDetails }
  }
`);

export function OrderPage() {
  const { id = '' } = useParams();
  const [result] = useQuery({ query: OrderQuery, variables: { id }, requestPolicy: 'network-only' });
  const [latest, setLatest] = useState<OrderDetailsFragment | null>(null);
  const [shipment, setShipment] = useState<ShipmentDetailsFragment | null>(null);
  const [cancelling, cancel] = useMutation(CancelMutation);
  const loaded = result.data?.order ?? null;
  // The newest of: the query, the last status event, a cancellation.
  const order = cancelling.data?.cancelOrder ?? latest ?? loaded;
  const following = !!order && !isFinal(order.status);

  const [statusFeed] = useSubscription({ query: OrderStatusSubscription, variables: { id }, pause: !loaded || !following }, (_, event) => {
    setLatest(event.orderStatusChanged.order);
    return event;
  });
  const [shipmentFeed] = useSubscription({ query: ShipmentSubscription, variables: { id }, pause: !loaded || !following }, (_, event) => {
    setShipment(event.shipmentUpdated);
    return event;
  });

  // Say each new status once, for screen readers, without repeating the page.
  const announced = useRef<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    if (!order) return;
    if (announced.current && announced.current !== order.status) setAnnouncement(`Order ${order.number} is now ${statusLabel(order.status)}.`);
    announced.current = order.status;
  }, [order]);

  if (result.fetching && !loaded) return <Loading what="your order" />;
  if (result.error) return <ProblemMessage error={result.error} />;
  if (!order) return <h1>Order not found</h1>;

  const parcel = newestShipment(shipment, order.shipment);
  const failed = order.status === 'PAYMENT_FAILED';
  const reached = JOURNEY.indexOf(order.status);
  const feedError = statusFeed.error ?? shipmentFeed.error;
  return (
    <article className="order" data-status={order.status}>
      <h1>Order {order.number}</h1>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      <p>
        Status: <strong className={`status status-${order.status.toLowerCase()}`} data-testid="order-status">{statusLabel(order.status)}</strong>
        {following && !feedError && <span className="live"> · updating live</span>}
      </p>
      {feedError && <ProblemMessage error={feedError} />}
      {failed && (
        <div className="problem" role="alert" data-testid="payment-failure">
          Your payment did not go through{order.payment?.failureReason ? `: ${order.payment.failureReason}` : ''}. Nothing was charged; you can order
          again with another card.
        </div>
      )}

      {reached >= 0 && (
        <ol className="journey" aria-label="Progress">
          {JOURNEY.map((step, i) => (
            <li key={step} className={i <= reached ? 'done' : undefined} aria-current={i === reached ? 'step' : undefined}>
              {statusLabel(step)}
            </li>
          ))}
        </ol>
      )}

      {parcel && (
        <section aria-labelledby="tracking-heading">
          <h2 id="tracking-heading">Delivery</h2>
          <p>
            {parcel.carrier} tracking number <code>{parcel.trackingNumber}</code>: {parcel.status.replaceAll('_', ' ').toLowerCase()}
            {parcel.estimatedDelivery && <>, expected {new Date(parcel.estimatedDelivery).toLocaleDateString()}</>}
          </p>
          <ol className="events">
            {parcel.events.map((e) => (
              <li key={`${e.status}-${e.at}`}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> {e.description}
                {e.location && <> ({e.location})</>}
              </li>
            ))}
          </ol>
        </section>
      )}

      <section aria-labelledby="items-heading">
        <h2 id="items-heading">Items</h2>
        <table className="cart">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Quantity</th>
              <th scope="col">Price</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((item) => (
              <tr key={item.productName}>
                <th scope="row">{item.productName}</th>
                <td>{item.quantity}</td>
                <td>{item.unitPrice.formatted}</td>
                <td>{item.lineTotal.formatted}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>Delivery</th>
              <td>{order.shippingCost.formatted}</td>
            </tr>
            <tr>
              <th scope="row" colSpan={3}>Total</th>
              <td>{order.total.formatted}</td>
            </tr>
          </tfoot>
        </table>
      </section>

      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <ol className="events">
          {order.statusHistory.map((change) => (
            <li key={`${change.status}-${change.at}`}>
              <time dateTime={change.at}>{new Date(change.at).toLocaleTimeString()}</time> {statusLabel(change.status)}
              {change.reason && <> — {change.reason}</>}
            </li>
          ))}
        </ol>
        <p>
          Ships to {order.shippingAddress.name}, {order.shippingAddress.line1}, {order.shippingAddress.city} {order.shippingAddress.postalCode},{' '}
          {order.shippingAddress.country}
        </p>
      </section>

      {(order.status === 'PENDING' || order.status === 'PAID') && (
        <p>
          <button type="button" className="secondary" disabled={cancelling.fetching} onClick={() => cancel({ id: order.id })}>
            Cancel order
          </button>
        </p>
      )}
      {cancelling.error && <ProblemMessage error={cancelling.error} />}
    </article>
  );
}

/** Shipment events only grow, so the one with more events is newer. */
function newestShipment(a: ShipmentDetailsFragment | null, b: ShipmentDetailsFragment | null | undefined) {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.events.length >= b.events.length ? a : b;
}
