/**
 * UTC offsets, in minutes, of the zone abbreviations PostgreSQL prints in %t/%m (log_timezone's tzdata
 * abbreviation). Ambiguous ones take their most common meaning in server logs: CST is US Central, IST India,
 * BST British Summer Time; a reader who knows better passes `timezone`.
 */
export const ZONE_ABBREVIATIONS: ReadonlyMap<string, number> = new Map([
  ['UTC', 0], ['GMT', 0], ['UT', 0], ['Z', 0], ['WET', 0], ['WEST', 60], ['BST', 60], ['IST', 330], ['CET', 60],
  ['CEST', 120], ['MET', 60], ['MEST', 120], ['EET', 120], ['EEST', 180], ['MSK', 180], ['MSD', 240], ['TRT', 180],
  ['SAST', 120], ['CAT', 120], ['EAT', 180], ['WAT', 60], ['IDT', 180], ['AST', -240], ['ADT', -180],
  ['NST', -210], ['NDT', -150], ['EST', -300], ['EDT', -240], ['CST', -360], ['CDT', -300], ['MST', -420],
  ['MDT', -360], ['PST', -480], ['PDT', -420], ['AKST', -540], ['AKDT', -480], ['HST', -600], ['HDT', -540],
  ['SST', -660], ['CHST', 600], ['JST', 540], ['KST', 540], ['HKT', 480], ['SGT', 480], ['PHT', 480], ['PKT', 300],
  ['WIB', 420], ['WITA', 480], ['WIT', 540], ['ICT', 420], ['AWST', 480], ['ACST', 570], ['ACDT', 630],
  ['AEST', 600], ['AEDT', 660], ['NZST', 720], ['NZDT', 780], ['BRT', -180], ['ART', -180], ['CLT', -240],
  ['CLST', -180], ['COT', -300], ['PET', -300], ['UYT', -180],
]);
