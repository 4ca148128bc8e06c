// Reading the page's embedded data: the index at start, each run's steps only when it is opened.
import { PAGE_DATA_ID, type PageData, type RunData, runDataId } from '../html/page-data.js';

export function readPageData(): PageData {
  const element = document.getElementById(PAGE_DATA_ID);
  if (!element?.textContent) throw new Error(`the page has no #${PAGE_DATA_ID} data`);
  return JSON.parse(element.textContent) as PageData;
}

const runs = new Map<number, RunData>();

/** The embedded run `blob`, parsed on first use and kept (a page holds few opened runs at once). */
export function loadRun(blob: number): RunData {
  let run = runs.get(blob);
  if (!run) {
    const element = document.getElementById(runDataId(blob));
    if (!element?.textContent) throw new Error(`the page has no data for run ${blob}`);
    run = JSON.parse(element.textContent) as RunData;
    runs.set(blob, run);
  }
  return run;
}
