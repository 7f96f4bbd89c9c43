// Every element of the dashboard is built here, and text only ever goes in as text nodes: nothing from the API is
// parsed as HTML, so a table or database name cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Build an HTML element. Attributes: `class`, `on<event>` functions (listeners), anything else is set as an attribute
 * (null, undefined and false are left out; true sets an empty one). Children: strings, numbers, nodes, arrays; null
 * and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content with the given children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
