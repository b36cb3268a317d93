/**
 * Month names of the languages columnists' feeds are written in, as feeds print them in dates
 * ("Di, 04 Mär 2025", "lun., 02 juin 2025"), mapped to the English abbreviation Date.parse reads.
 */
const MONTHS: ReadonlyArray<readonly [english: string, names: string]> = [
  ['Jan', 'januar januari janvier janv enero ene gennaio gen janeiro'],
  ['Feb', 'februar februari février févr fevrier fevr febrero febbraio fevereiro fev'],
  ['Mar', 'märz mär mrz maart mrt mars marzo março'],
  ['Apr', 'avril avr abril abr aprile'],
  ['May', 'mai mei mayo maggio mag maio'],
  ['Jun', 'juni juin junio giugno giu junho'],
  ['Jul', 'juli juillet juil julio luglio lug julho'],
  ['Aug', 'august augustus août aout agosto ago'],
  ['Sep', 'september septembre sept septiembre setiembre settembre setembro set'],
  ['Oct', 'oktober okt octobre octubre ottobre ott outubro out'],
  ['Nov', 'november novembre noviembre novembro'],
  ['Dec', 'dezember dez december décembre déc decembre diciembre dic dicembre dezembro'],
];

/** Lower-case month name or abbreviation → English abbreviation. */
export const LOCAL_MONTHS: ReadonlyMap<string, string> = new Map(
  MONTHS.flatMap(([english, names]) => names.split(' ').map((name) => [name, english] as const)),
);
