import type { Pager } from '../../curator/ports.js';

/** A pager that keeps what it was asked to send: tests and the local run read `pages`. */
export function memoryPager(): Pager & { readonly pages: Array<{ subject: string; message: string }> } {
  const pages: Array<{ subject: string; message: string }> = [];
  return {
    pages,
    async page(subject, message) {
      pages.push({ subject, message });
    },
  };
}
