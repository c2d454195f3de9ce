/**
 * A point of a chart line, as chart.js takes it: the one point type of the view maths and the webviews.
 * `XY<number | null>` is a point that may be a gap (chart.js breaks the line at a null y).
 */
export interface XY<Y extends number | null = number> {
  x: number;
  y: Y;
}
