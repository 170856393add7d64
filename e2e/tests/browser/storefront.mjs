// A new customer's whole journey through the storefront: register, search,
// add two products, check out with a sandbox card, then watch the order
// page. With tok_visa it must reach DELIVERED live (no reload); with a
// declining card the page must say the payment failed.
//   STOREFRONT_URL=http://127.0.0.1:3000 CARD=tok_visa SEARCH=<words> node storefront.mjs
import { join } from 'node:path';
import { checkAccessibility, outputDir, report, run } from './harness.mjs';

const base = process.env.STOREFRONT_URL ?? 'http://127.0.0.1:3000';
const card = process.env.CARD ?? 'tok_visa';
const search = process.env.SEARCH ?? '';
const expectDelivered = card === 'tok_visa';
const email = `browser-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

await run(`storefront-${card}`, async (page) => {
  await page.goto(base);
  await page.getByRole('heading', { name: /products$/i, level: 2 }).waitFor();
  await checkAccessibility(page, 'products');

  await page.getByRole('link', { name: 'Create account' }).click();
  await page.getByLabel('Name').fill('Browser Customer');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long browser passphrase');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Signed in as Browser Customer').waitFor();
  report('registered', { email });

  // A revoked or expired access token: the router answers UNAUTHENTICATED,
  // the app spends its refresh token for a new pair and retries, and the
  // customer notices nothing.
  const session = () => page.evaluate(() => JSON.parse(localStorage.getItem('shopgraph.session')));
  const issued = await session();
  await page.evaluate(() => {
    const stored = JSON.parse(localStorage.getItem('shopgraph.session'));
    localStorage.setItem('shopgraph.session', JSON.stringify({ ...stored, accessToken: 'not.a.token' }));
  });
  await page.reload();
  await page.waitForFunction(() => !localStorage.getItem('shopgraph.session')?.includes('not.a.token'));
  await page.getByRole('link', { name: /^Cart, 0 items$/ }).waitFor();
  const rotated = await session();
  if (rotated.accessToken === 'not.a.token' || rotated.refreshToken === issued.refreshToken) {
    throw new Error('the session was not refreshed');
  }
  report('rotated', { user: rotated.user.email });

  // Search, then add the first two products that are in stock.
  await page.getByLabel('Search', { exact: true }).fill(search);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/[?&]q=/);
  // The grid of this search, loaded: until React renders the new URL, the
  // previous grid is still there and not busy.
  const searched = `.product-grid[aria-busy="false"][aria-label="Products matching ${search}"] .product-card`;
  await page.locator(searched).first().waitFor();
  const inStock = page.locator(searched, { hasText: 'In stock' });
  const names = (await inStock.locator('h3 a').allTextContents()).slice(0, 2);
  if (names.length < 2) throw new Error(`searching "${search}" found fewer than two products in stock`);
  report('searched', { search, names });
  const results = page.url();
  for (const [i, name] of names.entries()) {
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    await page.getByText(/In stock: \d+ available/).waitFor();
    if (i === 0) await checkAccessibility(page, 'product');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText(/Added 1 to your cart/).waitFor();
    await page.goto(results);
    await page.locator(searched).first().waitFor();
  }

  await page.getByRole('link', { name: /^Cart, 2 items$/ }).click();
  await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  for (const name of names) await page.getByRole('rowheader', { name }).waitFor();
  await page.getByText('Total before shipping').waitFor();
  // A code that does not exist is refused with the service's reason.
  await page.getByLabel('Discount code').fill('NO-SUCH-CODE');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('alert').filter({ hasText: 'code NO-SUCH-CODE is not valid' }).waitFor();
  await checkAccessibility(page, 'cart');

  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await page.getByLabel('Full name').fill('Browser Customer');
  await page.getByLabel('Address', { exact: true }).fill('1 Test Street');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('12345');
  await page.getByLabel('Country code').fill('US');
  await page.locator('input[name="rate"]').first().waitFor();
  await page.getByLabel('Test card').selectOption(card);
  await checkAccessibility(page, 'checkout');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/orders\/[^/]+$/);
  // The URL changes before the order page renders; until then the heading still says Checkout.
  const heading = page.getByRole('heading', { level: 1, name: /^Order (?!not found$)/ });
  await heading.waitFor();
  const number = (await heading.textContent()).replace('Order ', '');
  report('ordered', { number, url: page.url() });
  await checkAccessibility(page, 'order');

  const status = page.getByTestId('order-status');
  const seen = [];
  const deadline = Date.now() + Number(process.env.JOURNEY_TIMEOUT_MS ?? 90_000);
  for (;;) {
    const now = await status.textContent();
    if (seen[seen.length - 1] !== now) {
      seen.push(now);
      report('status', { status: now });
      if (now === 'Shipped') await page.screenshot({ path: join(outputDir, 'order-page-shipped.png') });
    }
    if (now === 'Delivered' || now === 'Payment failed') break;
    if (Date.now() > deadline) throw new Error(`the order page stayed at ${now}; saw ${seen.join(' → ')}`);
    await page.waitForTimeout(50);
  }
  if (expectDelivered) {
    if (seen[seen.length - 1] !== 'Delivered') throw new Error(`expected Delivered, saw ${seen.join(' → ')}`);
    await page.getByRole('heading', { name: 'Delivery' }).waitFor();
  } else {
    const failure = await page.getByTestId('payment-failure').textContent();
    report('payment-failure-shown', { text: failure });
    if (!/did not go through/.test(failure)) throw new Error(`no payment failure shown: ${failure}`);
  }
  report('journey', { number, statuses: seen });
});
