// A copy button for a remediation line. The Clipboard API needs a secure context (https or loopback); elsewhere the
// text is selected so Ctrl+C copies it.
import { h } from '../dom.js';

export function copyButton(text) {
  const button = h('button', { type: 'button', class: 'copy', 'aria-label': 'Copy this command' }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard here');
      await navigator.clipboard.writeText(text);
      flash(button, 'Copied');
    } catch {
      const pre = button.parentElement?.querySelector('pre');
      if (pre) getSelection()?.selectAllChildren(pre);
      flash(button, 'Press Ctrl+C');
    }
  });
  return button;
}

function flash(button, text) {
  button.textContent = text;
  setTimeout(() => (button.textContent = 'Copy'), 1500);
}
