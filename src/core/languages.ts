import { ValidationError } from './errors';

/** Chamilo's language names (its `language` column and folder names) to ISO 639-1 codes. */
const CHAMILO_LANGUAGES: Record<string, string> = {
  arabic: 'ar', asturian: 'ast', basque: 'eu', bosnian: 'bs', brazilian: 'pt-BR', bulgarian: 'bg',
  catalan: 'ca', croatian: 'hr', czech: 'cs', danish: 'da', dari: 'prs', dutch: 'nl', english: 'en',
  esperanto: 'eo', estonian: 'et', faroese: 'fo', finnish: 'fi', french: 'fr', friulian: 'fur',
  galician: 'gl', georgian: 'ka', german: 'de', greek: 'el', hebrew: 'he', hindi: 'hi',
  hungarian: 'hu', indonesian: 'id', italian: 'it', japanese: 'ja', korean: 'ko', latvian: 'lv',
  lithuanian: 'lt', macedonian: 'mk', malay: 'ms', norwegian: 'no', occitan: 'oc', pashto: 'ps',
  persian: 'fa', polish: 'pl', portuguese: 'pt', quechua_cusco: 'qu', romanian: 'ro', russian: 'ru',
  serbian: 'sr', simpl_chinese: 'zh', slovak: 'sk', slovenian: 'sl', somali: 'so', spanish: 'es',
  swahili: 'sw', swedish: 'sv', tagalog: 'tl', thai: 'th', trad_chinese: 'zh-TW', turkish: 'tr',
  ukrainian: 'uk', vietnamese: 'vi', xhosa: 'xh', yoruba: 'yo',
};

const ISO_CODE = /^([a-z]{2,3})(?:[-_]([a-z]{2}))?$/i;

/** Accepts `fr`, `FR`, `pt-BR`, `pt_br` or Chamilo's `french`; returns the ISO code (`pt-BR`). */
export function parseLanguage(input: string, field = 'language'): string {
  const text = input.trim();
  // Own keys only: "constructor" in a file is not a language.
  const named = Object.hasOwn(CHAMILO_LANGUAGES, text.toLowerCase()) ? CHAMILO_LANGUAGES[text.toLowerCase()] : undefined;
  if (named) return named;
  const iso = ISO_CODE.exec(text);
  if (iso) {
    const [, base, region] = iso;
    return region ? `${base!.toLowerCase()}-${region.toUpperCase()}` : base!.toLowerCase();
  }
  throw new ValidationError(
    [{ field, message: `"${input}" is not a language; use an ISO 639-1 code (fr, es, pt-BR) or a Chamilo language name (french)` }],
  );
}
