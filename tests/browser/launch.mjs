// launch.mjs: headless Debian chromium through playwright-core for the
// browser tests, the same way for every test file: a throwaway profile
// under BROWSER_TMP, no sandbox (root in CI), no background traffic, a
// desktop viewport, UTC and en-GB so that dates and times are stable.

import {mkdtempSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {chromium} from 'playwright-core';

// {ctx, page, close()}; options are passed on to launchPersistentContext.
export async function launch(options = {}) {
  const profile = mkdtempSync(join(process.env.BROWSER_TMP, 'chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: {width: 1200, height: 900},
    timezoneId: 'UTC',
    locale: 'en-GB',
    ...options,
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  return {
    ctx,
    page,
    close: async () => {
      await ctx.close();
      rmSync(profile, {recursive: true, force: true});
    },
  };
}
