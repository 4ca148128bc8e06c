// The HTML report's page script: bundled by scripts/build-html-client.mjs into dist/report/html/.
import { render } from 'preact';
import { App } from './app.js';
import { readPageData } from './data.js';
import { applyStoredTheme } from './theme.js';
import './styles.css';

applyStoredTheme();
const root = document.getElementById('app')!;
try {
  render(<App page={readPageData()} />, root);
} catch (error) {
  root.textContent = `This report could not be shown: ${String(error)}`;
}
