import { ValidationError } from '../shared/errors';

/** Chamilo's language names (its `language` column and folder names) to ISO 639-1 codes. */
const CHAMILO_LANGUAGES: Record<string, string> = {
  arabic: 'ar',
  asturian: 'ast',
  basque: 'eu',
  bosnian: 'bs',
  brazilian: 'pt-BR',
  bulgarian: 'bg',
  catalan: 'ca',
  croatian: 'hr',
  czech: 'cs',
  danish: 'da',
  dari: 'prs',
  dutch: 'nl',
  english: 'en',
  esperanto: 'eo',
  estonian: 'et',
  faroese: 'fo',
  finnish: 'fi',
  french: 'fr',
  friulian: 'fur',
  galician: 'gl',
  georgian: 'ka',
  german: 'de',
  greek: 'el',
  hebrew: 'he',
  hindi: 'hi',
  hungarian: 'hu',
  indonesian: 'id',
  italian: 'it',
  japanese: 'ja',
  korean: 'ko',
  latvian: 'lv',
  lithuanian: 'lt',
  macedonian: 'mk',
  malay: 'ms',
  norwegian: 'no',
  occitan: 'oc',
  pashto: 'ps',
  persian: 'fa',
  polish: 'pl',
  portuguese: 'pt',
  quechua_cusco: 'qu',
  romanian: 'ro',
  russian: 'ru',
  serbian: 'sr',
  simpl_chinese: 'zh',
  slovak: 'sk',
  slovenian: 'sl',
  somali: 'so',
  spanish: 'es',
  swahili: 'sw',
  swedish: 'sv',
  tagalog: 'tl',
  thai: 'th',
  trad_chinese: 'zh-TW',
  turkish: 'tr',
  ukrainian: 'uk',
  vietnamese: 'vi',
  xhosa: 'xh',
  yoruba: 'yo',
};

const ISO_CODE = /^([a-z]{2,3})(?:[-_]([a-z]{2}))?$/i;

/** ISO 639-1, every two-letter code. */
const ISO_639_1 = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu ' +
    'fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko ' +
    'kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi ' +
    'pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ' +
    'ur uz ve vi vo wa wo xh yi yo za zh zu'
  ).split(' '),
);

/** The languages of Chamilo that ISO 639-1 has no code for (Asturian, Dari, Friulian): their ISO 639-2/3 codes. */
const CHAMILO_THREE_LETTER = new Set(Object.values(CHAMILO_LANGUAGES).filter((code) => /^[a-z]{3}$/.test(code)));

/** ISO 3166-1 alpha-2 regions, as the running Node's ICU knows them (pt-BR, zh-TW, fr-CA). */
function isRegion(code: string): boolean {
  // Codes ISO leaves to private use (AA, QM–QZ, XA–XZ, ZZ), Kosovo's XK aside.
  if (/^(AA|Q[M-Z]|X[A-JL-Z]|ZZ)$/.test(code)) return false;
  try {
    return new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(code) !== undefined;
  } catch {
    return false;
  }
}

/** Accepts `fr`, `FR`, `pt-BR`, `pt_br` or Chamilo's `french`; returns the ISO code (`pt-BR`). */
export function parseLanguage(input: string, field = 'language'): string {
  const text = input.trim();
  // Own keys only: "constructor" in a file is not a language.
  const named = Object.hasOwn(CHAMILO_LANGUAGES, text.toLowerCase()) ? CHAMILO_LANGUAGES[text.toLowerCase()] : undefined;
  if (named) return named;
  const iso = ISO_CODE.exec(text);
  if (iso) {
    const base = iso[1]!.toLowerCase();
    const region = iso[2]?.toUpperCase();
    const known = ISO_639_1.has(base) || CHAMILO_THREE_LETTER.has(base);
    if (known && (!region || isRegion(region))) return region ? `${base}-${region}` : base;
  }
  throw new ValidationError([{ field, message: `"${input}" is not a language; use an ISO 639-1 code (fr, es, pt-BR) or a Chamilo language name (french)` }]);
}
