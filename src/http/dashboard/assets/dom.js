// @ts-check
/** The page's own elements. */

/**
 * The element with an id the page's HTML always has.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found;
}
