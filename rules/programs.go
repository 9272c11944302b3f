package rules

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/rules/program"
)

// ErrNoProgramFile: ReloadProgramRules without a configured rule file.
var ErrNoProgramFile = errors.New("rules: no program rule file configured")

// ProgramRules returns the program rules in force, in order.
func (e *Engine) ProgramRules() []program.Rule { return e.programs().set.Rules() }

// ReplaceProgramRules compiles rules and puts them in force at once;
// requests already past the program check finish with the old ones. On
// error the rules in force stay.
func (e *Engine) ReplaceProgramRules(rules []program.Rule) error {
	set, err := program.Compile(rules)
	if err != nil {
		return err
	}
	e.installProgram(set)
	return nil
}

// LoadProgramRules reads a rule file, puts its rules in force and makes it
// the file ReloadProgramRules reads.
func (e *Engine) LoadProgramRules(path string) error {
	set, err := program.Load(path)
	if err != nil {
		return err
	}
	e.progMu.Lock()
	e.progPath = path
	e.progMu.Unlock()
	e.installProgram(set)
	return nil
}

// ReloadProgramRules reads the configured rule file again (on SIGHUP, say).
func (e *Engine) ReloadProgramRules() error {
	e.progMu.Lock()
	path := e.progPath
	e.progMu.Unlock()
	if path == "" {
		return ErrNoProgramFile
	}
	return e.LoadProgramRules(path)
}

func (e *Engine) installProgram(set *program.Set) {
	e.progMu.Lock()
	defer e.progMu.Unlock()
	e.progCount++
	ps := &programSet{set: set, generation: e.progCount}
	ps.onError = e.programError(ps)
	e.prog.Store(ps)
	ps.declines = make([]prometheus.Counter, set.Len())
	for i := range ps.declines {
		// Every rule shows in the metrics from the start, at zero.
		ps.declines[i] = e.metrics.ruleDeclines.WithLabelValues(set.Rule(i).Name)
	}
	e.log.Info("program rules in force", "rules", set.Len(), "generation", ps.generation, "source", set.Source())
}

// programError counts and logs a rule that failed to evaluate. Its errors
// come from CEL about the expression (overflow, division by zero), never
// the request's values.
func (e *Engine) programError(ps *programSet) func(int, error) {
	return func(i int, err error) {
		name := ps.set.Rule(i).Name
		e.metrics.ruleErrors.WithLabelValues(name).Inc()
		e.log.Warn("program rule failed to evaluate", "rule", name, "err", err)
	}
}
