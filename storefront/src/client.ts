// The urql client: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws (graphql-ws), the access token on both, and one
// refresh-and-retry when the router answers UNAUTHENTICATED.
import { authExchange } from '@urql/exchange-auth';
import { createClient as createWsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import type { StoreConfig } from './config';
import { graphql } from './gql';
import { expiresSoon, getSession, rotate, type Session } from './session';

graphql(`
  fragment SessionTokens on AuthPayload {
    accessToken
    refreshToken
    expiresAt
    user { id name email }
  }
`);

const RefreshDocument = graphql(`
  mutation Refresh($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) { ...SessionTokens }
  }
`);

export interface StoreClient {
  client: Client;
  /** Closes the subscription socket (on sign-in and sign-out). */
  close: () => void;
}

export function createStoreClient(config: StoreConfig): StoreClient {
  const websocket = createWsClient({
    url: config.websocketUrl,
    lazy: true,
    // Read at every (re)connect, so a reconnect carries the newest token.
    connectionParams: () => {
      const session = getSession();
      return session ? { Authorization: `Bearer ${session.accessToken}` } : {};
    },
    retryAttempts: 5,
  });

  const client = new Client({
    url: config.graphqlUrl,
    // POST for queries too: a cross-origin GET without a preflight is what
    // the router's CSRF prevention refuses.
    preferGetMethod: false,
    exchanges: [
      cacheExchange,
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const session = getSession();
          if (!session || isRefresh(operation.query)) return operation;
          return utils.appendHeaders(operation, { Authorization: `Bearer ${session.accessToken}` });
        },
        willAuthError(operation) {
          const session = getSession();
          return !!session && !isRefresh(operation.query) && expiresSoon(session);
        },
        didAuthError(error) {
          // The router answers 401 to a refused token when the client
          // accepts application/graphql-response+json, as urql does.
          return error.response?.status === 401 || error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
        },
        async refreshAuth() {
          await rotate(async (refreshToken): Promise<Session | null> => {
            const result = await utils.mutate(RefreshDocument, { refreshToken });
            // A refused refresh (expired, spent or signed out elsewhere)
            // ends the session; the page then asks to sign in again.
            return result.data?.refreshToken ?? null;
          });
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = websocket.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, close: () => void websocket.dispose() };
}

function isRefresh(query: unknown): boolean {
  return query === RefreshDocument;
}
