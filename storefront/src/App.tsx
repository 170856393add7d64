import { useEffect, useMemo } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Provider } from 'urql';
import { createStoreClient } from './client';
import type { StoreConfig } from './config';
import { Layout } from './components/Layout';
import { CartPage } from './pages/CartPage';
import { CheckoutPage } from './pages/CheckoutPage';
import { OrderPage } from './pages/OrderPage';
import { OrdersPage } from './pages/OrdersPage';
import { ProductPage } from './pages/ProductPage';
import { ProductsPage } from './pages/ProductsPage';
import { RegisterPage, SignInPage } from './pages/AccountPages';
import { useSession } from './session';

export function App({ config }: { config: StoreConfig }) {
  const session = useSession();
  const userId = session?.user.id;
  // A new client per signed-in user: nothing cached for one customer is
  // shown to the next, and the subscription socket reconnects as them.
  const store = useMemo(() => createStoreClient(config), [config, userId]);
  useEffect(() => store.close, [store]);

  return (
    <Provider value={store.client}>
      <Layout>
        <Routes>
          <Route path="/" element={<ProductsPage />} />
          <Route path="/products/:slug" element={<ProductPage />} />
          <Route path="/sign-in" element={<SignInPage />} />
          <Route path="/register" element={<RegisterPage />} />
          <Route path="/cart" element={<SignedIn><CartPage /></SignedIn>} />
          <Route path="/checkout" element={<SignedIn><CheckoutPage /></SignedIn>} />
          <Route path="/orders" element={<SignedIn><OrdersPage /></SignedIn>} />
          <Route path="/orders/:id" element={<SignedIn><OrderPage /></SignedIn>} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Layout>
    </Provider>
  );
}

function SignedIn({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname)}`} replace />;
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>That page does not exist.</p>
    </section>
  );
}
