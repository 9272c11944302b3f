package admin

import (
	"errors"
	"net/http"

	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/rules/program"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func (a *API) programRulesAnswer() reply {
	rs := a.engine.ProgramRules()
	out := make([]resource.ProgramRule, 0, len(rs))
	for _, r := range rs {
		code := r.ResponseCode
		if code == "" {
			code = program.DefaultResponseCode
		}
		out = append(out, resource.ProgramRule{Object: resource.ObjectProgramRule, Name: r.Name,
			Expression: r.Expression, ResponseCode: code, Description: r.Description})
	}
	return jsonReply(http.StatusOK, resource.NewList("/v1/program_rules", out, false))
}

func (a *API) listProgramRules(c *call) reply { return a.programRulesAnswer() }

// replaceProgramRules compiles a new set and puts it in force at once, or
// changes nothing.
func (a *API) replaceProgramRules(c *call) reply {
	var p struct {
		Rules *[]resource.ProgramRuleParams `json:"rules"`
	}
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	if p.Rules == nil {
		return errorReply(missing("rules"))
	}
	if len(*p.Rules) > program.MaxRules {
		return errorReply(invalid("parameter_invalid", "rules", "At most 256 program rules."))
	}
	set := make([]program.Rule, 0, len(*p.Rules))
	for _, r := range *p.Rules {
		set = append(set, program.Rule{Name: r.Name, Expression: r.Expression, ResponseCode: r.ResponseCode,
			Description: r.Description})
	}
	if err := a.engine.ReplaceProgramRules(set); err != nil {
		if errors.Is(err, program.ErrInvalid) {
			return errorReply(invalid("program_rules_invalid", "rules", capitalize(err.Error())+"."))
		}
		a.log.Error("admin: replacing program rules failed", "request_id", c.id, "err", redactDigits(err.Error()))
		return errorReply(internalError("program_rules_failed", "The program rules could not be replaced; the old ones stay in force."))
	}
	a.audited(c, "program_rules.replace", "program_rules", 0)
	return a.programRulesAnswer()
}

// reloadProgramRules reads the configured rule file again.
func (a *API) reloadProgramRules(c *call) reply {
	if e := decode(c, &struct{}{}); e != nil {
		return errorReply(e)
	}
	err := a.engine.ReloadProgramRules()
	switch {
	case err == nil:
	case errors.Is(err, rules.ErrNoProgramFile):
		return errorReply(conflict("no_program_file", "The switch has no program rule file to reload (rules.program_rules)."))
	case errors.Is(err, program.ErrInvalid):
		return errorReply(invalid("program_rules_invalid", "", capitalize(err.Error())+". The rules in force stay."))
	default:
		a.log.Error("admin: reloading program rules failed", "request_id", c.id, "err", redactDigits(err.Error()))
		return errorReply(internalError("program_rules_unreadable", "The program rule file could not be read; the rules in force stay."))
	}
	a.audited(c, "program_rules.reload", "program_rules", 0)
	return a.programRulesAnswer()
}
