/** A point of a chart line, as chart.js takes it: the one point type of the view maths and the webviews. */
export interface XY {
  x: number;
  y: number;
}
