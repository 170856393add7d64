import { useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { Loading, ProblemMessage } from '../components/Status';
import { graphql } from '../gql';
import type { AddressInput } from '../gql/graphql';
import { CartQuery } from './CartPage';

const AddressesQuery = graphql(`
  query SavedAddresses {
    me {
      id
      name
      addresses { id name line1 line2 city region postalCode country isDefault }
    }
  }
`);

const RatesQuery = graphql(`
  query ShippingRates($country: String!, $postalCode: String!, $items: [RateItemInput!]!) {
    shippingRates(country: $country, postalCode: $postalCode, items: $items) {
      id
      carrier
      service
      estimatedDays
      cost { formatted }
    }
  }
`);

const CheckoutMutation = graphql(`
  mutation Checkout($input: CheckoutInput!) {
    checkout(input: $input) {
      id
      number
    }
  }
`);

/** The sandbox's test cards (see the API contract). */
const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa ending 4242 (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Card that is declined' },
  { token: 'tok_insufficientFunds', label: 'Card with insufficient funds' },
];

const NEW_ADDRESS = 'new';
const BLANK: AddressInput = { name: '', line1: '', line2: '', city: '', region: '', postalCode: '', country: 'US' };

function newKey(): string {
  return crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function CheckoutPage() {
  const navigate = useNavigate();
  const [cartResult] = useQuery({ query: CartQuery, requestPolicy: 'network-only' });
  const [addressesResult] = useQuery({ query: AddressesQuery });
  const [placing, checkout] = useMutation(CheckoutMutation);
  // One key for this checkout: retrying after an error or a double click
  // returns the same order and never charges twice.
  const [idempotencyKey] = useState(newKey);
  const [addressChoice, setAddressChoice] = useState<string | null>(null);
  const [address, setAddress] = useState<AddressInput>(BLANK);
  const [rateId, setRateId] = useState<string | null>(null);
  const [card, setCard] = useState(TEST_CARDS[0].token);

  const saved = addressesResult.data?.me?.addresses ?? [];
  const choice = addressChoice ?? saved.find((a) => a.isDefault)?.id ?? saved[0]?.id ?? NEW_ADDRESS;
  const destination = choice === NEW_ADDRESS ? address : saved.find((a) => a.id === choice);
  const cart = cartResult.data?.cart;
  const items = useMemo(() => cart?.items.map((i) => ({ productId: i.product.id, quantity: i.quantity })) ?? [], [cart]);
  const canRate = !!destination && destination.country.length === 2 && destination.postalCode.trim().length > 0 && items.length > 0;
  const [rates] = useQuery({
    query: RatesQuery,
    variables: { country: destination?.country.toUpperCase() ?? '', postalCode: destination?.postalCode.trim() ?? '', items },
    pause: !canRate,
  });
  const chosenRate = rates.data?.shippingRates.find((r) => r.id === rateId) ?? rates.data?.shippingRates[0];

  if (cartResult.fetching && !cart) return <Loading what="your cart" />;
  if (cartResult.error) return <ProblemMessage error={cartResult.error} />;
  if (!cart || cart.items.length === 0) {
    return (
      <section>
        <h1>Checkout</h1>
        <p className="empty">Your cart is empty.</p>
        <Link to="/">Browse products</Link>
      </section>
    );
  }

  const field = (key: keyof AddressInput) => (e: React.ChangeEvent<HTMLInputElement>) => setAddress({ ...address, [key]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const shipping =
      choice === NEW_ADDRESS
        ? { shippingAddress: { ...address, country: address.country.toUpperCase(), line2: address.line2 || null, region: address.region || null } }
        : { shippingAddressId: choice };
    const result = await checkout({
      input: { ...shipping, paymentToken: card, shippingRateId: chosenRate?.id, idempotencyKey },
    });
    if (result.data) navigate(`/orders/${result.data.checkout.id}`);
  };

  return (
    <section>
      <h1>Checkout</h1>
      <form className="checkout" onSubmit={submit}>
        <fieldset>
          <legend>Shipping address</legend>
          {saved.map((a) => (
            <div className="choice" key={a.id}>
              <input type="radio" id={`address-${a.id}`} name="address" checked={choice === a.id} onChange={() => setAddressChoice(a.id)} />
              <label htmlFor={`address-${a.id}`}>
                {a.name}, {a.line1}, {a.city} {a.postalCode}, {a.country}
              </label>
            </div>
          ))}
          {saved.length > 0 && (
            <div className="choice">
              <input type="radio" id="address-new" name="address" checked={choice === NEW_ADDRESS} onChange={() => setAddressChoice(NEW_ADDRESS)} />
              <label htmlFor="address-new">A new address</label>
            </div>
          )}
          {choice === NEW_ADDRESS && (
            <div className="address-form">
              <label htmlFor="ship-name">Full name</label>
              <input id="ship-name" autoComplete="shipping name" required value={address.name} onChange={field('name')} />
              <label htmlFor="ship-line1">Address</label>
              <input id="ship-line1" autoComplete="shipping address-line1" required value={address.line1} onChange={field('line1')} />
              <label htmlFor="ship-line2">Apartment, suite (optional)</label>
              <input id="ship-line2" autoComplete="shipping address-line2" value={address.line2 ?? ''} onChange={field('line2')} />
              <label htmlFor="ship-city">City</label>
              <input id="ship-city" autoComplete="shipping address-level2" required value={address.city} onChange={field('city')} />
              <label htmlFor="ship-region">State or region (optional)</label>
              <input id="ship-region" autoComplete="shipping address-level1" value={address.region ?? ''} onChange={field('region')} />
              <label htmlFor="ship-postal">Postal code</label>
              <input id="ship-postal" autoComplete="shipping postal-code" required value={address.postalCode} onChange={field('postalCode')} />
              <label htmlFor="ship-country">Country code</label>
              <input
                id="ship-country"
                autoComplete="shipping country"
                required
                pattern="[A-Za-z]{2}"
                maxLength={2}
                aria-describedby="country-hint"
                value={address.country}
                onChange={field('country')}
              />
              <p id="country-hint" className="hint">
                Two letters, for example US or DE.
              </p>
            </div>
          )}
        </fieldset>

        <fieldset aria-busy={rates.fetching}>
          <legend>Delivery</legend>
          {!canRate && <p>Enter the address to see delivery options.</p>}
          {rates.fetching && <Loading what="delivery options" />}
          {rates.error && <ProblemMessage error={rates.error} />}
          {rates.data?.shippingRates.length === 0 && <p>We cannot deliver to this address.</p>}
          {rates.data?.shippingRates.map((rate) => (
            <div className="choice" key={rate.id}>
              <input type="radio" id={`rate-${rate.id}`} name="rate" checked={chosenRate?.id === rate.id} onChange={() => setRateId(rate.id)} />
              <label htmlFor={`rate-${rate.id}`}>
                {rate.carrier} {rate.service}: {rate.cost.formatted}, {rate.estimatedDays} {rate.estimatedDays === 1 ? 'day' : 'days'}
              </label>
            </div>
          ))}
        </fieldset>

        <fieldset>
          <legend>Payment (sandbox)</legend>
          <label htmlFor="card">Test card</label>
          <select id="card" value={card} onChange={(e) => setCard(e.target.value)}>
            {TEST_CARDS.map((c) => (
              <option key={c.token} value={c.token}>
                {c.label}
              </option>
            ))}
          </select>
        </fieldset>

        <section className="summary" aria-label="Order summary">
          <p>
            Items ({cart.itemCount}): {cart.subtotal.formatted}
          </p>
          <p>Delivery: {chosenRate ? chosenRate.cost.formatted : '—'}</p>
          <p className="hint">The total is confirmed on the order page.</p>
        </section>
        {placing.error && <ProblemMessage error={placing.error} />}
        <button type="submit" disabled={placing.fetching || !chosenRate}>
          {placing.fetching ? 'Placing your order…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}
