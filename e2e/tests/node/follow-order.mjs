// Follows one order through the router with the graphql-ws npm client
// (graphql-transport-ws). Prints one JSON line per event, then exits 0 once
// the order is DELIVERED; any error exits 1.
//   node follow-order.mjs <router http url> <access token> <order id>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, orderId] = process.argv.slice(2);
const client = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});

const query = `subscription($id: ID!) {
  orderStatusChanged(orderId: $id) { status order { items { product { name } } } }
}`;

const timer = setTimeout(() => fail('timed out'), 30_000);
function fail(reason) {
  console.log(JSON.stringify({ error: String(reason) }));
  process.exit(1);
}

client.subscribe(
  { query, variables: { id: orderId } },
  {
    next: (result) => {
      console.log(JSON.stringify(result));
      if (result.errors) fail(JSON.stringify(result.errors));
      if (result.data?.orderStatusChanged?.status === 'DELIVERED') {
        clearTimeout(timer);
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => fail(error instanceof Error ? error.message : JSON.stringify(error)),
    complete: () => fail('completed before DELIVERED'),
  },
);
