/**
 * Figures (plotly JSON with static PNG fallbacks), scene and mask pictures, the
 * self-contained HTML report, and notebook display helpers.
 * @module
 */
export type {
  ErrorBars,
  Figure,
  HeatmapFigure,
  PlotlyFigure,
  ReferenceLine,
  Series,
  XYFigure,
} from "./figures.ts";
export { PALETTE, toPlotly, validateFigure } from "./figures.ts";
export { figurePng, figureSvg, niceTicks, strokeText, strokeTextWidth } from "./png.ts";
export type { RgbImage, Tile } from "./images.ts";
export { contactSheet, idColor, maskToRgb, overlayMask, rgbToPng, squareRgb } from "./images.ts";
export type { Block, Cell, Claim, ClaimStatus, ReportSpec, Section, Verdict } from "./html.ts";
export {
  claimsHtml,
  escapeHtml,
  pngDataUrl,
  renderReport,
  tableHtml,
  textToHtml,
  writeReport,
} from "./html.ts";
export type { Displayable, MediaBundle } from "./display.ts";
export {
  display,
  displayable,
  formatTextTable,
  JUPYTER_DISPLAY,
  showBlock,
  showFigure,
  showHtml,
  showImage,
  showTable,
} from "./display.ts";
export {
  gradCheckFigure,
  gradCheckTable,
  matmulBenchFigure,
  matmulBenchTable,
  tensorRows,
} from "./engine_views.ts";
export {
  answerBalanceFigure,
  blindBaselineFigure,
  blindBaselineTable,
  countBy,
  examplesPerFamily,
  examplesPerGroup,
  highlightSpans,
  itemCountsFigure,
  preferencePairsHtml,
  questionItems,
  questionSheet,
} from "./world_views.ts";
export {
  CLAIMS,
  claimTally,
  KNOWLEDGE_TIE_MARGIN,
  pretrainTable,
  readmeResultsSection,
  replaceReadmeSection,
  reproduceClaims,
  reproduceReportSpec,
  type ReproduceResults,
  verdictWithin,
  writeReproduceReport,
} from "./reproduce_report.ts";
export {
  loadSftVsDpoRun,
  sftVsDpoAccuracy,
  sftVsDpoClaimsOf,
  sftVsDpoComparisons,
  sftVsDpoFigure,
  type SftVsDpoFigureName,
  type SftVsDpoRun,
  sftVsDpoRunOf,
} from "./sft_vs_dpo_views.ts";
