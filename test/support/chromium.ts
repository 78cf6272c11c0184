// Headless Chromium for status-page tests: Debian's chromium (apt-get install -y chromium) driven by playwright-core.
import { type Browser, chromium } from 'playwright-core';

/** Launches /usr/bin/chromium headless, with nothing that reaches the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
