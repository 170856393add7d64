import type { OrderStatus } from '../gql/graphql';

const LABELS: Record<OrderStatus, string> = {
  PENDING: 'Pending',
  PAYMENT_ACTION_REQUIRED: 'Waiting for your bank to confirm the payment',
  PAYMENT_FAILED: 'Payment failed',
  PAID: 'Paid',
  FULFILLING: 'Being packed',
  SHIPPED: 'Shipped',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
};

export function statusLabel(status: OrderStatus): string {
  return LABELS[status] ?? status;
}

/** The happy path an order page draws as steps. */
export const JOURNEY: OrderStatus[] = ['PENDING', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED'];

/** No further status will come. */
export function isFinal(status: OrderStatus): boolean {
  return status === 'DELIVERED' || status === 'CANCELLED' || status === 'REFUNDED' || status === 'PAYMENT_FAILED';
}
