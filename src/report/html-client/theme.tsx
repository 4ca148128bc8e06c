// Light or dark: the system's choice by default (prefers-color-scheme), or the reader's, kept
// in localStorage where the browser allows it (file:// pages may not).
import { useState } from 'preact/hooks';

type Theme = 'auto' | 'light' | 'dark';
const KEY = 'looplet-report-theme';
const NEXT: Record<Theme, Theme> = { auto: 'light', light: 'dark', dark: 'auto' };

function stored(): Theme {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'auto';
  } catch {
    return 'auto';
  }
}

export function applyStoredTheme(): void {
  apply(stored());
}

function apply(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(stored);
  const change = () => {
    const next = NEXT[theme];
    setTheme(next);
    apply(next);
    try {
      if (next === 'auto') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
    } catch {
      // Storage is off for this page: the choice lasts until it is closed.
    }
  };
  return (
    <button
      type="button"
      class="theme-switch"
      onClick={change}
      title="Switch between system, light and dark colours"
    >
      {theme === 'auto' ? '◐ system' : theme === 'light' ? '☀ light' : '☾ dark'}
    </button>
  );
}
