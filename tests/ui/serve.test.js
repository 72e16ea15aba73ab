// serve.test.js -- `martlet serve` in a real browser (Debian's chromium,
// headless, driven by puppeteer-core), as a person would use it, against a
// server that tests/test_serve.c started over a DuckDB warehouse after real
// runs: run 1 of 2024-05-01 failed in mart.big_days and rejected one row of
// staging.orders; run 2 of 2024-05-02 failed the same way.
//
// Environment: MARTLET_SERVE_URL (http://127.0.0.1:PORT), MARTLET_SERVE_TOKEN,
// MARTLET_FIX_MODEL (the model file to fix before the rerun), SCREENSHOT_DIR.
// Exit 0 when every check passed, 1 on the first failure, 77 when the
// browser cannot start (the caller skips, saying so).
'use strict';
const fs = require('fs');
const {check, shoot, runInBrowser} = require('./browser_checks');

const base = process.env.MARTLET_SERVE_URL;
const token = process.env.MARTLET_SERVE_TOKEN;
const model = process.env.MARTLET_FIX_MODEL;
async function cellStatus(page, date, task) {
  return page.$eval(`tr[data-date="${date}"] td[data-task="${task}"]`, (cell) => cell.dataset.status).catch(() => null);
}

runInBrowser(async (browser) => {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 800});
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));

  await page.goto(base + '/', {waitUntil: 'load'});
  check((await page.$eval('#pipelines', (table) => table.textContent)).includes('shop'), 'the pipelines page lists shop');
  await shoot(page, 'pipelines');

  await page.goto(base + '/pipelines/shop', {waitUntil: 'load'});
  check(await cellStatus(page, '2024-05-01', 'mart.big_days') === 'failed', 'the grid shows mart.big_days failed on 2024-05-01');
  check(await cellStatus(page, '2024-05-01', 'mart.daily_revenue') === 'success', 'the grid shows mart.daily_revenue succeeded');
  check(await cellStatus(page, '2024-05-02', 'staging.orders') === 'success', 'the grid shows the loads of 2024-05-02');
  const red = await page.$eval('tr[data-date="2024-05-01"] td[data-task="mart.big_days"]',
                               (cell) => getComputedStyle(cell).backgroundColor);
  check(red === 'rgb(208, 49, 45)', 'a failed cell is red (' + red + ')');
  await shoot(page, 'grid');

  await Promise.all([page.waitForNavigation({waitUntil: 'load'}),
                     page.click('tr[data-date="2024-05-01"] td[data-task="mart.big_days"] a')]);
  check(page.url().endsWith('/runs/1/tasks/mart.big_days'), 'clicking the failed cell opens its task');
  const error = await page.$eval('#task-error', (pre) => pre.textContent);
  check(error.includes('orders_missing'), 'the task page shows the error');
  const sql = await page.$eval('#task-sql', (pre) => pre.textContent);
  check(sql.includes('CREATE TABLE mart.big_days') && sql.includes('WHERE orders_missing > 1'),
        'the task page shows the SQL it executed');
  await shoot(page, 'task');

  await page.goto(base + '/pipelines/shop/dag?run=1', {waitUntil: 'load'});
  check(await page.$eval('g[data-task="mart.big_days"]', (g) => g.dataset.status) === 'failed',
        'the DAG of run 1 shows mart.big_days failed');
  await shoot(page, 'dag');
  await page.goto(base + '/runs/1/tasks/mart.big_days', {waitUntil: 'load'});

  await page.click('#rerun');
  await page.waitForFunction(() => document.querySelector('#message').textContent.includes('refused'), {timeout: 10000});
  check((await page.$eval('#message', (p) => p.textContent)).includes('refused (401)'), 'a rerun without the token is refused');
  await shoot(page, 'refused');

  fs.writeFileSync(model, fs.readFileSync(model, 'utf8').replace('orders_missing', 'orders'));
  await page.type('#token', token);
  await Promise.all([page.waitForNavigation({waitUntil: 'load', timeout: 15000}), page.click('#rerun')]);
  check(page.url().endsWith('/pipelines/shop'), 'a rerun with the token is accepted and goes to the grid');
  let status = null;
  for (let tries = 0; tries < 120 && status !== 'success'; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.goto(base + '/pipelines/shop', {waitUntil: 'load'});
    status = await cellStatus(page, '2024-05-01', 'mart.big_days');
  }
  check(status === 'success', 'after the rerun the grid shows mart.big_days green on 2024-05-01');
  check(await page.evaluate(() => sessionStorage.getItem('martlet-token')) === token,
        'the token is kept in sessionStorage for the tab');
  check((await page.cookies()).length === 0, 'no cookie is set');
  await shoot(page, 'grid-green');

  // The rerun cleared mart.big_days alone: staging.orders kept its load, and a snapshot load replaces its
  // rejects, so the latest load (run 2) holds the bad row.
  await page.goto(base + '/rejects?table=staging.orders&run=2', {waitUntil: 'load'});
  const rows = await page.$$eval('#rejects tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  check(rows.some((cells) => cells[2] === '4' && cells[3] === 'amount' && cells[5] === '3,2024-05-02,not-a-number'),
        'the rejects page lists the bad row with its line, column and raw line');
  check((await page.$eval('#reasons', (t) => t.textContent)).includes('not a decimal'), 'the rejects page counts by reason');
  await shoot(page, 'rejects');

  await page.goto(base + '/runs', {waitUntil: 'load'});
  check((await page.$$('#runs tbody tr')).length >= 3, 'the runs page lists the runs');
  await shoot(page, 'runs');
  await page.goto(base + '/pipelines/shop/reports', {waitUntil: 'load'});
  check((await page.$$('table.report tbody tr')).length === 2, 'the reports page shows the revenue report');
  const chart = await page.$eval('img.chart', (img) => img.complete && img.naturalWidth > 0);
  check(chart, 'the report\'s SVG chart loads');
  await shoot(page, 'reports');
  check(failures.length === 0, 'no script error on any page: ' + failures.join('; '));
});
