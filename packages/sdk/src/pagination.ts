import type { PageData } from './types.js';

/** The item type of a list response. */
export type PageItem<Response> = Response extends PageData<infer Item> ? Item : never;

/**
 * A cursor list. `await` it for the first page (`{ data, next_cursor }`); iterate it with `for await` for every
 * item across pages, or `pages()` for every page. Nothing is requested until you do either.
 */
export class Page<Response> implements PromiseLike<Response>, AsyncIterable<PageItem<Response>> {
  readonly #fetchPage: (cursor: string | undefined) => Promise<Response>;
  #first: Promise<Response> | undefined;

  /** `fetchPage(undefined)` is the first page; later pages pass the previous page's `next_cursor`. */
  constructor(fetchPage: (cursor: string | undefined) => Promise<Response>) {
    this.#fetchPage = fetchPage;
  }

  #firstPage(): Promise<Response> {
    this.#first ??= this.#fetchPage(undefined);
    return this.#first;
  }

  then<Result = Response, Rejected = never>(
    onFulfilled?: ((page: Response) => Result | PromiseLike<Result>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Result | Rejected> {
    return this.#firstPage().then(onFulfilled, onRejected);
  }

  catch<Rejected = never>(onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null): Promise<Response | Rejected> {
    return this.#firstPage().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<Response> {
    return this.#firstPage().finally(onFinally);
  }

  /** Every page, following `next_cursor` until it is null. */
  async *pages(): AsyncGenerator<Response, void, undefined> {
    let page = await this.#firstPage();
    yield page;
    for (let cursor = cursorOf(page); cursor !== null; cursor = cursorOf(page)) {
      page = await this.#fetchPage(cursor);
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PageItem<Response>, void, undefined> {
    for await (const page of this.pages()) yield* (page as PageData<PageItem<Response>>).data;
  }
}

const cursorOf = (page: unknown): string | null => (page as PageData).next_cursor ?? null;
