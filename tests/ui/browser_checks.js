// What the browser tests share (serve.test.js, docs.test.js): numbered
// checks that stop at the first failure, screenshots into $SCREENSHOT_DIR,
// and one run of Debian's Chromium -- exit 77 when it cannot start (the
// Criterion test then skips), 1 on the first failure, 0 after "N checks
// passed".
const path = require('path');
const puppeteer = require('puppeteer-core');

const shots = process.env.SCREENSHOT_DIR;
let checks = 0;

function check(condition, what) {
  checks++;
  if (!condition) throw new Error('not ok ' + checks + ' - ' + what);
  console.log('ok ' + checks + ' - ' + what);
}

async function shoot(page, name) {
  if (shots) await page.screenshot({path: path.join(shots, 'serve-' + name + '.png'), fullPage: true});
}

// Starts Chromium, runs body(browser), prints the count and exits.
async function runInBrowser(body) {
  let browser;
  try {
    browser = await puppeteer.launch({executablePath: '/usr/bin/chromium', headless: true,
                                      args: ['--no-sandbox', '--disable-gpu', '--window-size=1280,900']});
  } catch (error) {
    console.log('SKIP: chromium cannot start: ' + String(error.message).split('\n')[0]);
    process.exit(77);
  }
  try {
    await body(browser);
    console.log(checks + ' checks passed');
  } catch (error) {
    console.log(String(error.message || error));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

module.exports = {check, shoot, runInBrowser};
