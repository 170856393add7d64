import { useEffect } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { setSession, useSession } from '../session';

const CartCountQuery = graphql(`
  query CartCount {
    cart { id itemCount }
  }
`);

const SignOutMutation = graphql(`
  mutation SignOut($refreshToken: String!) {
    logout(refreshToken: $refreshToken)
  }
`);

export function Layout({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const navigate = useNavigate();
  const [, logout] = useMutation(SignOutMutation);
  const location = useLocation();
  const [cart, refreshCart] = useQuery({ query: CartCountQuery, pause: !session });
  // Checkout empties the cart by event, after the mutation returns: look
  // again on every page change rather than trust the cached count.
  useEffect(() => {
    if (session) refreshCart({ requestPolicy: 'network-only' });
  }, [location.key, session, refreshCart]);
  const count = cart.data?.cart.itemCount ?? 0;

  const signOut = async () => {
    if (session) await logout({ refreshToken: session.refreshToken });
    setSession(null);
    navigate('/');
  };

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Shopgraph
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Products
              </NavLink>
            </li>
            {session ? (
              <>
                <li>
                  <NavLink to="/orders">Orders</NavLink>
                </li>
                <li>
                  <NavLink to="/cart" aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}>
                    Cart <span className="badge">{count}</span>
                  </NavLink>
                </li>
                <li className="who">Signed in as {session.user.name}</li>
                <li>
                  <button type="button" className="link-button" onClick={signOut}>
                    Sign out
                  </button>
                </li>
              </>
            ) : (
              <>
                <li>
                  <NavLink to="/sign-in">Sign in</NavLink>
                </li>
                <li>
                  <NavLink to="/register">Create account</NavLink>
                </li>
              </>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="site-footer">
        <p>
          A reference storefront for the Shopgraph API. Sandbox payments only: no card is ever charged.
        </p>
      </footer>
    </>
  );
}
