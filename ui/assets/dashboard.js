// Enhancements only: every number drawn here is also in the table it is read from, and every
// page works without this file. No inline script anywhere (the CSP forbids it).
(() => {
  const COLORS = {
    stored: "#116329",
    duplicate: "#0b5cad",
    conflict: "#8250df",
    quarantined: "#bf8700",
    unauthorized: "#a40e26",
    too_large: "#57606a",
    store_unavailable: "#cf222e",
  };
  const HEIGHT = 220;
  const utcDate = (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");

  // Axis labels in UTC, short: "10-24 04:00".
  const dateText = (seconds) => new Date(seconds * 1000).toISOString().slice(5, 16).replace("T", " ");
  const widthOf = (element) =>
    Math.max(260, Math.floor((element.parentElement ?? element).getBoundingClientRect().width) - 4);

  function draw(container, make) {
    if (typeof window.uPlot !== "function") return;
    const plot = make(widthOf(container));
    container.appendChild(plot.root);
    let timer;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => plot.setSize({ width: widthOf(container), height: HEIGHT }), 150);
    });
  }

  const DAY = 86400;

  // x: when an estimate was announced (and when the actual happened); y: the estimated time.
  // The estimate is drawn as a step (it holds until the next announcement), the actual as a
  // dashed level, and both axes are padded so a single announcement is still readable.
  function etaChart(container, table) {
    const points = [];
    for (const row of table.querySelectorAll("tbody tr")) {
      if (row.dataset.x && row.dataset.y) points.push([Number(row.dataset.x), Number(row.dataset.y)]);
    }
    if (points.length === 0) return;
    const actual = table.dataset.actual ? Number(table.dataset.actual) : null;
    const last = points[points.length - 1];
    if (actual !== null && actual > last[0]) points.push([actual, last[1]]);
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const series = [
      {},
      {
        label: "Estimate",
        stroke: "#0b5cad",
        width: 2,
        points: { size: 7 },
        paths: window.uPlot.paths.stepped({ align: 1 }),
      },
    ];
    const data = [xs, ys];
    if (actual !== null) {
      series.push({ label: "Actual", stroke: "#116329", dash: [6, 4], width: 2, points: { size: 7 } });
      data.push(xs.map(() => actual));
    }
    const yValues = actual === null ? ys : ys.concat([actual]);
    const yMin = Math.min(...yValues);
    const yMax = Math.max(...yValues);
    const yPad = Math.max((yMax - yMin) * 0.15, DAY / 4);
    const xPad = Math.max((xs[xs.length - 1] - xs[0]) * 0.05, DAY / 2);
    draw(
      container,
      (width) =>
        new window.uPlot(
          {
            width,
            height: HEIGHT,
            scales: {
              x: { time: true, range: () => [xs[0] - xPad, xs[xs.length - 1] + xPad] },
              y: { time: false, range: () => [yMin - yPad, yMax + yPad] },
            },
            tzDate: utcDate,
            axes: [
              { label: "announced (UTC)" },
              { label: "estimate (UTC)", size: 100, values: (_u, values) => values.map(dateText) },
            ],
            series,
            legend: { live: false },
          },
          data,
        ),
    );
  }

  function deliveriesChart(container, table) {
    const headers = [...table.querySelectorAll("thead th[data-series]")];
    const xs = [];
    const columns = headers.map(() => []);
    for (const row of table.querySelectorAll("tbody tr")) {
      xs.push(Number(row.dataset.x));
      const cells = row.querySelectorAll("td.num");
      headers.forEach((_, i) => {
        columns[i].push(Number(cells[i].textContent));
      });
    }
    const series = [{}];
    const data = [xs];
    headers.forEach((header, i) => {
      if (columns[i].every((v) => v === 0)) return;
      series.push({
        label: header.textContent,
        stroke: COLORS[header.dataset.series] || "#333",
        width: 2,
        points: { size: 5 },
      });
      data.push(columns[i]);
    });
    // Pad the time axis by one bucket each side, so a single bucket is not a dot on a
    // range of years; counts start at zero.
    const bucket = Number(table.dataset.bucketSeconds) || 600;
    const maxCount = Math.max(1, ...data.slice(1).flat());
    draw(
      container,
      (width) =>
        new window.uPlot(
          {
            width,
            height: HEIGHT,
            tzDate: utcDate,
            series,
            legend: { live: false },
            scales: {
              x: { time: true, range: () => [xs[0] - bucket, xs[xs.length - 1] + bucket] },
              y: { range: () => [0, Math.ceil(maxCount * 1.15)] },
            },
            axes: [{ label: "UTC" }, {}],
          },
          data,
        ),
    );
  }

  for (const container of document.querySelectorAll("[data-chart-for]")) {
    const table = document.getElementById(container.getAttribute("data-chart-for"));
    if (table?.dataset.chart === "eta") etaChart(container, table);
    if (table?.dataset.chart === "deliveries") deliveriesChart(container, table);
  }

  // Live refresh on the health page, remembered for this tab.
  const toggle = document.querySelector(".live-toggle");
  const box = document.getElementById("live");
  let reload;
  const arm = () => {
    clearTimeout(reload);
    if (box.checked) reload = setTimeout(() => window.location.reload(), 30000);
  };
  if (toggle && box) {
    toggle.hidden = false;
    box.checked = sessionStorage.getItem("portcall-live") === "1";
    box.addEventListener("change", () => {
      sessionStorage.setItem("portcall-live", box.checked ? "1" : "0");
      arm();
    });
    arm();
  }
})();
