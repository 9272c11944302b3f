package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// OwnCPU returns the CPU time (user + system) this process has used.
func OwnCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// OwnMaxRSS returns the largest resident set this process has had, in
// bytes.
func OwnMaxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// ErrNoMetric is returned when the scraped page lacks the metric.
var ErrNoMetric = errors.New("load: metric not found")

// maxMetricsBytes bounds how much of a metrics page is read.
const maxMetricsBytes = 16 << 20

// ScrapeMetric fetches a Prometheus text page and returns the value of the
// first sample of the named metric without labels, e.g.
// process_cpu_seconds_total.
func ScrapeMetric(ctx context.Context, client *http.Client, url, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("load: scrape %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("load: scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("load: scrape %s: status %s", url, resp.Status)
	}
	return parseMetric(io.LimitReader(resp.Body, maxMetricsBytes), name)
}

func parseMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue // another metric with this prefix, or a labelled sample
		}
		fields := strings.Fields(rest)
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("load: metric %s: %w", name, err)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("load: read metrics: %w", err)
	}
	return 0, fmt.Errorf("%w: %s", ErrNoMetric, name)
}
