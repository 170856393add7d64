// GraphiQL as served by the router: it must render with no request to any
// other host, answer a query, and run a subscription whose Authorization
// header is typed into the Headers tab, showing the order's statuses live.
//   ROUTER_URL=http://127.0.0.1:4000 TOKEN=<access token> ORDER_ID=<id> node graphiql.mjs
import { report, run } from './harness.mjs';

const router = new URL(process.env.ROUTER_URL ?? 'http://127.0.0.1:4000');
const token = process.env.TOKEN;
const orderId = process.env.ORDER_ID;
if (!token || !orderId) throw new Error('TOKEN and ORDER_ID are required');

/**
 * Replaces an editor's text as typing would: select all, then insert
 * (without keystrokes, so CodeMirror's bracket closing stays out of it).
 * GraphiQL reparses the document shortly after an edit; the pause lets it
 * see the new operation before it is run.
 */
async function typeInto(page, selector, text) {
  const editor = page.locator(`${selector} .CodeMirror`).first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await page.waitForTimeout(500);
}

/** What the result pane shows. */
function resultText(page) {
  return page.evaluate(() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue());
}

await run('graphiql', async (page, requests, problems) => {
  await page.goto(new URL('/graphql', router).toString());
  await page.locator('.graphiql-container').waitFor();
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  await page.waitForLoadState('networkidle');
  const foreign = requests.filter((url) => new URL(url).origin !== router.origin);
  report('loaded', { requests: requests.length, foreign });
  if (foreign.length > 0) throw new Error(`GraphiQL requested other hosts: ${foreign.join(', ')}`);

  // A query, run with the toolbar's button.
  await typeInto(page, '.graphiql-query-editor', '{ products(first: 2) { totalCount edges { node { name price { formatted } } } } }');
  await page.locator('.graphiql-execute-button').click();
  await page.waitForFunction(() => /"totalCount": \d+/.test(document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() ?? ''));
  const answer = JSON.parse(await resultText(page));
  report('query', { totalCount: answer.data.products.totalCount, names: answer.data.products.edges.map((e) => e.node.name) });

  // The subscription, authorized by the Headers tab.
  await page.getByRole('button', { name: 'Headers' }).click();
  await typeInto(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', JSON.stringify({ Authorization: `Bearer ${token}` }));
  await typeInto(page, '.graphiql-query-editor', `subscription { orderStatusChanged(orderId: "${orderId}") { status at } }`);
  // Every payload the result pane shows, in order, as it changes.
  await page.evaluate(() => {
    window.shown = [];
    const pane = document.querySelector('.result-window .CodeMirror').CodeMirror;
    pane.on('change', () => window.shown.push(pane.getValue()));
  });
  await page.locator('.graphiql-execute-button').click();
  await page.waitForFunction(() => window.shown.some((text) => text.includes('"DELIVERED"')), null, { timeout: 30_000 });
  const shown = await page.evaluate(() => window.shown);
  const statuses = [];
  for (const text of shown) {
    let payload;
    try {
      payload = JSON.parse(text);
    } catch {
      continue; // cleared pane between payloads
    }
    if (payload.errors) throw new Error(`the subscription failed: ${text}`);
    const status = payload.data?.orderStatusChanged?.status;
    if (status && statuses[statuses.length - 1] !== status) statuses.push(status);
  }
  report('subscription', { statuses });
  if (statuses.length < 2) throw new Error(`fewer than two live events shown: ${statuses.join(', ')}`);

  const elsewhere = requests.filter((url) => new URL(url).host !== router.host);
  if (elsewhere.length > 0) throw new Error(`GraphiQL requested other hosts: ${elsewhere.join(', ')}`);
  // A schema GraphiQL cannot build, a missing asset: errors a user sees.
  if (problems.length > 0) throw new Error(`the page logged errors: ${problems.join('; ')}`);
});
