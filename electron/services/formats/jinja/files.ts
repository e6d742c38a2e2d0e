import { basename } from '../io';

/**
 * Whether a file no reader claims is a chat template saved on its own (transformers' chat_template.jinja
 * and additional_chat_templates/*.jinja), rendered like the one in tokenizer_config.json. Kept apart from
 * the template scanner so the walk can ask without loading the Jinja parser.
 */
export const isTemplateFile = (display: string): boolean => /\.jinja2?$/i.test(basename(display));
