import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { Loading, ProblemMessage } from '../components/Status';
import { graphql } from '../gql';

graphql(`
  fragment CartLines on Cart {
    id
    itemCount
    subtotal { formatted }
    discount { amount formatted }
    total { formatted }
    appliedCode
    discountNotice
    appliedPromotions { kind name amount { formatted } }
    items {
      quantity
      unitPrice { formatted }
      lineTotal { formatted }
      product { id slug name availableQuantity salePrice { formatted } }
    }
  }
`);

const ApplyCodeMutation = graphql(`
  mutation ApplyDiscountCode($code: String!) {
    applyDiscountCode(code: $code) { ...CartLines }
  }
`);

const RemoveCodeMutation = graphql(`
  mutation RemoveDiscountCode {
    removeDiscountCode { ...CartLines }
  }
`);

function DiscountCode({ applied }: { applied?: string | null }) {
  const [code, setCode] = useState('');
  const [applying, apply] = useMutation(ApplyCodeMutation);
  const [removing, remove] = useMutation(RemoveCodeMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const outcome = await apply({ code });
    if (outcome.data) setCode('');
  };
  return (
    <form className="discount-code" onSubmit={submit}>
      {applied && (
        <p>
          Code <strong>{applied}</strong> applied.{' '}
          <button type="button" className="link-button" disabled={removing.fetching} onClick={() => remove({})}>
            Remove code
          </button>
        </p>
      )}
      <label htmlFor="discount-code">Discount code</label>{' '}
      <input id="discount-code" value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" />{' '}
      <button type="submit" disabled={applying.fetching || code.trim() === ''}>
        Apply
      </button>
      {applying.error && <ProblemMessage error={applying.error} />}
    </form>
  );
}

export const CartQuery = graphql(`
  query Cart {
    cart { ...CartLines }
  }
`);

const UpdateLineMutation = graphql(`
  mutation UpdateCartLine($productId: ID!, $quantity: Int!) {
    updateCartItem(productId: $productId, quantity: $quantity) { ...CartLines }
  }
`);

export function CartPage() {
  const [result] = useQuery({ query: CartQuery, requestPolicy: 'cache-and-network' });
  const [update, updateLine] = useMutation(UpdateLineMutation);

  if (result.fetching && !result.data) return <Loading what="your cart" />;
  if (result.error) return <ProblemMessage error={result.error} />;
  const cart = result.data?.cart;
  if (!cart || cart.items.length === 0) {
    return (
      <section>
        <h1>Your cart</h1>
        <p className="empty">Your cart is empty.</p>
        <p>
          <Link to="/">Browse products</Link>
        </p>
      </section>
    );
  }

  return (
    <section>
      <h1>Your cart</h1>
      {update.error && <ProblemMessage error={update.error} />}
      <table className="cart">
        <caption className="visually-hidden">Items in your cart</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {cart.items.map((item) => (
            <tr key={item.product.id}>
              <th scope="row">
                <Link to={`/products/${item.product.slug}`}>{item.product.name}</Link>
              </th>
              <td>
                {item.product.salePrice ? (
                  <>
                    <del>{item.unitPrice.formatted}</del> <ins>{item.product.salePrice.formatted}</ins>
                  </>
                ) : (
                  item.unitPrice.formatted
                )}
              </td>
              <td>
                <label className="visually-hidden" htmlFor={`quantity-${item.product.id}`}>
                  Quantity of {item.product.name}
                </label>
                <input
                  id={`quantity-${item.product.id}`}
                  type="number"
                  min={0}
                  max={99}
                  value={item.quantity}
                  disabled={update.fetching}
                  onChange={(e) => updateLine({ productId: item.product.id, quantity: Number(e.target.value) || 0 })}
                />
              </td>
              <td>{item.lineTotal.formatted}</td>
              <td>
                <button
                  type="button"
                  className="link-button"
                  disabled={update.fetching}
                  onClick={() => updateLine({ productId: item.product.id, quantity: 0 })}
                  aria-label={`Remove ${item.product.name}`}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              Subtotal ({cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'})
            </th>
            <td colSpan={2}>{cart.subtotal.formatted}</td>
          </tr>
          {cart.appliedPromotions.map((promotion) => (
            <tr key={`${promotion.kind}-${promotion.name}`} className="saving">
              <th scope="row" colSpan={3}>
                {promotion.kind === 'DISCOUNT_CODE' ? `Code ${promotion.name}` : promotion.name}
              </th>
              <td colSpan={2}>−{promotion.amount.formatted}</td>
            </tr>
          ))}
          <tr>
            <th scope="row" colSpan={3}>
              Total before shipping
            </th>
            <td colSpan={2}>
              <strong>{cart.total.formatted}</strong>
            </td>
          </tr>
        </tfoot>
      </table>
      {cart.discountNotice && (
        <p className="problem" role="alert">
          {cart.discountNotice}
        </p>
      )}
      <DiscountCode applied={cart.appliedCode} />
      <p className="actions">
        <Link className="button" to="/checkout">
          Go to checkout
        </Link>
      </p>
    </section>
  );
}
