/** Backend-neutral helpers used by both storage backends. */
export { errorKeyOf } from "./error-key.js";
export { mapEventText, wellFormedEvent } from "./event-text.js";
export { escapeLike } from "./like.js";
