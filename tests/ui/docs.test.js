// docs.test.js -- lineage and docs in a real browser (Debian's chromium,
// headless, driven by puppeteer-core), as a person would read them: the
// docs pages of a `martlet serve` that tests/test_docs.c started after a
// real run of the shop fixture (staging.orders -> mart.daily_revenue ->
// mart.big_days, the last failed), and the static site `martlet docs --out`
// wrote, opened from disk with no server and no internet.
//
// Environment: MARTLET_SERVE_URL (http://127.0.0.1:PORT), DOCS_SITE (the
// folder `martlet docs --out` wrote), SCREENSHOT_DIR. Exit 0 when every
// check passed, 1 on the first failure, 77 when the browser cannot start.
'use strict';
const path = require('path');
const {check, shoot, runInBrowser} = require('./browser_checks');

const base = process.env.MARTLET_SERVE_URL;
const site = process.env.DOCS_SITE;
async function texts(page, selector) {
  return page.$$eval(selector, (items) => items.map((item) => item.textContent.trim()));
}

// Reads a model's page: its columns, upstream and downstream.
async function modelPage(page) {
  return {
    columns: await texts(page, '#columns tbody td:first-child'),
    upstream: await texts(page, '#upstream a'),
    downstream: await texts(page, '#downstream a'),
  };
}

runInBrowser(async (browser) => {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 800});
  const failures = [];
  const outside = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith('file://')) outside.push(url);
  });

  await page.goto(base + '/pipelines/shop/docs', {waitUntil: 'load'});
  check((await texts(page, '#tasks tbody tr td:first-child')).join(',') ===
        'staging.orders,mart.daily_revenue,mart.big_days', 'the docs index lists every source and model in run order');
  check((await page.$$('svg.lineage g.node')).length === 3 && (await page.$$('svg.lineage line.edge')).length === 2,
        'the index draws the lineage graph: 3 nodes, 2 edges');
  await shoot(page, 'docs');

  await Promise.all([page.waitForNavigation({waitUntil: 'load'}),
                     page.click('#tasks a[href$="/mart.daily_revenue"]')]);
  check(page.url().endsWith('/pipelines/shop/docs/mart.daily_revenue'), 'clicking a model opens its page');
  let model = await modelPage(page);
  check(model.columns.join(',') === 'day,revenue,orders', 'its page shows the columns the warehouse has: ' + model.columns);
  check(model.upstream.join(',') === 'staging.orders' && model.downstream.join(',') === 'mart.big_days',
        'its page shows upstream staging.orders and downstream mart.big_days');
  check(await page.$eval('svg.lineage g.focus', (g) => g.dataset.task) === 'mart.daily_revenue',
        'its lineage highlights the model');
  await shoot(page, 'docs-model');

  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('svg.lineage g[data-task="staging.orders"]')]);
  check(page.url().endsWith('/pipelines/shop/docs/staging.orders'), 'clicking a node of the lineage opens that task');
  check((await texts(page, '#columns tbody td:first-child')).join(',') === 'order_id,day,amount',
        'the source\'s page shows its columns');

  // The static site, from disk: the same content, relative links.
  await page.goto('file://' + path.resolve(site, 'index.html'), {waitUntil: 'load'});
  check((await page.$$('svg.lineage g.node')).length === 3, 'the static index draws the lineage');
  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('#tasks a[href="mart.daily_revenue.html"]')]);
  model = await modelPage(page);
  check(model.columns.join(',') === 'day,revenue,orders' && model.downstream.join(',') === 'mart.big_days',
        'the static model page shows the same columns and lineage');
  const styled = await page.$eval('body', (body) => getComputedStyle(body).backgroundColor);
  check(styled === 'rgb(250, 250, 250)', 'the static site loads its own style sheet (' + styled + ')');
  check(outside.length === 0, 'nothing is loaded from elsewhere: ' + outside.join(' '));
  check(failures.length === 0, 'no script error on any page: ' + failures.join('; '));
});
