#include "domain/customer_service/application.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/common/validation.h"

namespace gridledger::customer {
namespace {

using domain::CheckId;
using domain::FromTimestamp;
using domain::ToCivilDay;
using domain::ToDate;
using domain::ToTimestamp;

bool IsWorkingDay(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday;
}

std::string StepName(v1::ApplicationStep step) {
  std::string name = v1::ApplicationStep_Name(step);
  const std::string prefix = "APPLICATION_STEP_";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

v1::StepDeadline Deadline(const Application& application, v1::ApplicationStep completed) {
  v1::StepDeadline deadline;
  deadline.set_next_step(static_cast<v1::ApplicationStep>(completed + 1));
  *deadline.mutable_next_step_due() = ToDate(application.due);
  return deadline;
}

}  // namespace

int32_t CommittedWorkingDays(const v1::ApplicationSubmitted& application) {
  if (application.category() == v1::CUSTOMER_CATEGORY_RESIDENTIAL) return 5;
  switch (application.supply_mode()) {
    case v1::SUPPLY_MODE_HIGH_VOLTAGE_SINGLE:
      return 22;
    case v1::SUPPLY_MODE_HIGH_VOLTAGE_DUAL:
      return 32;
    default:
      return 6;
  }
}

absl::CivilDay AddWorkingDays(absl::CivilDay from, int32_t days) {
  absl::CivilDay day = from;
  while (days > 0) {
    ++day;
    if (IsWorkingDay(day)) --days;
  }
  return day;
}

int32_t WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to) {
  int32_t days = 0;
  for (absl::CivilDay day = from + 1; day <= to; ++day) {
    if (IsWorkingDay(day)) ++days;
  }
  return days;
}

Application FoldApplication(const std::vector<v1::EventEnvelope>& history) {
  Application a;
  for (const v1::EventEnvelope& envelope : history) {
    a.version = envelope.stream_version();
    const v1::DomainEvent& e = envelope.payload();
    switch (e.event_case()) {
      case v1::DomainEvent::kApplicationSubmitted:
        a.exists = true;
        a.submitted = e.application_submitted();
        a.step = v1::APPLICATION_STEP_SUBMITTED;
        break;
      case v1::DomainEvent::kApplicationAccepted:
        a.step = v1::APPLICATION_STEP_ACCEPTED;
        a.committed_working_days = e.application_accepted().committed_working_days();
        a.due = ToCivilDay(e.application_accepted().due_date());
        a.accepted_on = UtilityDay(FromTimestamp(envelope.occurred_at()));
        break;
      case v1::DomainEvent::kSiteSurveyCompleted:
        a.step = v1::APPLICATION_STEP_SITE_SURVEY;
        break;
      case v1::DomainEvent::kSupplyPlanProposed:
        a.step = v1::APPLICATION_STEP_SUPPLY_PLAN;
        a.needs_bay_approval = e.supply_plan_proposed().needs_bay_approval();
        a.bay = e.supply_plan_proposed().bay();
        break;
      case v1::DomainEvent::kDesignReviewed:
        if (e.design_reviewed().approved()) a.step = v1::APPLICATION_STEP_DESIGN_REVIEW;
        break;
      case v1::DomainEvent::kConstructionCompleted:
        a.step = v1::APPLICATION_STEP_CONSTRUCTION;
        break;
      case v1::DomainEvent::kCompletionInspected:
        if (e.completion_inspected().passed()) a.step = v1::APPLICATION_STEP_COMPLETION_INSPECTION;
        break;
      case v1::DomainEvent::kApplicationMeterInstalled:
        a.step = v1::APPLICATION_STEP_METER_INSTALLATION;
        break;
      case v1::DomainEvent::kSupplyEnergised:
        a.step = v1::APPLICATION_STEP_ENERGISATION;
        break;
      case v1::DomainEvent::kApplicationClosed:
        a.step = v1::APPLICATION_STEP_CLOSED;
        a.ended = true;
        break;
      case v1::DomainEvent::kApplicationRejected:
      case v1::DomainEvent::kApplicationWithdrawn:
        a.ended = true;
        break;
      default:
        break;
    }
  }
  return a;
}

v1::ApplicationView ViewOf(const Application& a) {
  v1::ApplicationView view;
  view.set_application_id(a.submitted.application_id());
  view.set_application_type(a.submitted.application_type());
  view.set_step(a.step);
  view.set_ended(a.ended);
  if (a.committed_working_days > 0) *view.mutable_due_date() = ToDate(a.due);
  view.set_committed_working_days(a.committed_working_days);
  view.set_awaiting_bay_approval(a.needs_bay_approval &&
                                 a.step == v1::APPLICATION_STEP_SUPPLY_PLAN);
  view.set_version(a.version);
  *view.mutable_submitted_at() = a.submitted.submitted_at();
  return view;
}

absl::StatusOr<v1::DomainEvent> DecideSubmit(const Application& application,
                                             v1::ApplicationSubmitted submitted, absl::Time now) {
  if (absl::Status s = CheckId("application.application_id", submitted.application_id()); !s.ok()) {
    return s;
  }
  if (submitted.application_type() == v1::APPLICATION_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError("application.application_type: must be set");
  }
  if (submitted.customer_name().empty()) {
    return absl::InvalidArgumentError("application.customer_name: must not be empty");
  }
  if (submitted.category() == v1::CUSTOMER_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError("application.category: must be set");
  }
  if (submitted.voltage_class() == v1::VOLTAGE_CLASS_UNSPECIFIED) {
    return absl::InvalidArgumentError("application.voltage_class: must be set");
  }
  if (submitted.supply_mode() == v1::SUPPLY_MODE_UNSPECIFIED) {
    return absl::InvalidArgumentError("application.supply_mode: must be set");
  }
  const bool needs_capacity =
      submitted.application_type() == v1::APPLICATION_TYPE_NEW_CONNECTION ||
      submitted.application_type() == v1::APPLICATION_TYPE_CAPACITY_INCREASE ||
      submitted.application_type() == v1::APPLICATION_TYPE_CAPACITY_REDUCTION;
  if (needs_capacity && submitted.requested_capacity_kva() <= 0) {
    return absl::InvalidArgumentError(
        "application.requested_capacity_kva: must be positive for this application type");
  }
  if (submitted.application_type() != v1::APPLICATION_TYPE_NEW_CONNECTION &&
      submitted.account_id().empty()) {
    return absl::InvalidArgumentError(
        "application.account_id: a change to supply needs the existing account");
  }
  if (submitted.org_unit().empty()) {
    return absl::InvalidArgumentError("application.org_unit: must not be empty");
  }
  if (application.exists) {
    return absl::AlreadyExistsError(
        absl::StrCat("application ", submitted.application_id(), " already exists"));
  }
  if (!submitted.has_submitted_at()) *submitted.mutable_submitted_at() = ToTimestamp(now);
  v1::DomainEvent event;
  *event.mutable_application_submitted() = std::move(submitted);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideAccept(const Application& application,
                                             const std::string& account_manager,
                                             absl::CivilDay today) {
  if (!application.exists) return absl::NotFoundError("application_id: unknown application");
  if (application.ended || application.step != v1::APPLICATION_STEP_SUBMITTED) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", application.submitted.application_id(), " is ",
                     application.ended ? "ended" : StepName(application.step),
                     ": only a submitted one can be accepted"));
  }
  const int32_t days = CommittedWorkingDays(application.submitted);
  Application accepted = application;
  accepted.due = AddWorkingDays(today, days);
  v1::DomainEvent event;
  auto* a = event.mutable_application_accepted();
  a->set_application_id(application.submitted.application_id());
  a->set_committed_working_days(days);
  *a->mutable_due_date() = ToDate(accepted.due);
  *a->mutable_deadline() = Deadline(accepted, v1::APPLICATION_STEP_ACCEPTED);
  a->set_account_manager(account_manager);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideStep(const Application& application,
                                           const v1::CompleteStepRequest& request,
                                           bool bay_approved, absl::CivilDay today) {
  if (!application.exists) return absl::NotFoundError("application_id: unknown application");
  const std::string& id = application.submitted.application_id();
  v1::ApplicationStep step;
  switch (request.step_case()) {
    case v1::CompleteStepRequest::kSiteSurvey:
      step = v1::APPLICATION_STEP_SITE_SURVEY;
      break;
    case v1::CompleteStepRequest::kSupplyPlan:
      step = v1::APPLICATION_STEP_SUPPLY_PLAN;
      break;
    case v1::CompleteStepRequest::kDesignReview:
      step = v1::APPLICATION_STEP_DESIGN_REVIEW;
      break;
    case v1::CompleteStepRequest::kConstruction:
      step = v1::APPLICATION_STEP_CONSTRUCTION;
      break;
    case v1::CompleteStepRequest::kCompletionInspection:
      step = v1::APPLICATION_STEP_COMPLETION_INSPECTION;
      break;
    case v1::CompleteStepRequest::kMeterInstalled:
      step = v1::APPLICATION_STEP_METER_INSTALLATION;
      break;
    case v1::CompleteStepRequest::kEnergised:
      step = v1::APPLICATION_STEP_ENERGISATION;
      break;
    case v1::CompleteStepRequest::kClosed:
      step = v1::APPLICATION_STEP_CLOSED;
      break;
    default:
      return absl::InvalidArgumentError("step: one step must be given");
  }
  if (application.ended) {
    return absl::FailedPreconditionError(absl::StrCat("application ", id, " has ended"));
  }
  if (step != application.step + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "application ", id, " is at ", StepName(application.step), "; the next step is ",
        StepName(static_cast<v1::ApplicationStep>(application.step + 1)), ", not ",
        StepName(step)));
  }
  v1::DomainEvent event;
  const v1::StepDeadline deadline = Deadline(application, step);
  switch (request.step_case()) {
    case v1::CompleteStepRequest::kSiteSurvey:
      *event.mutable_site_survey_completed() = request.site_survey();
      *event.mutable_site_survey_completed()->mutable_deadline() = deadline;
      event.mutable_site_survey_completed()->set_application_id(id);
      break;
    case v1::CompleteStepRequest::kSupplyPlan:
      if (request.supply_plan().needs_bay_approval() && request.supply_plan().bay().empty()) {
        return absl::InvalidArgumentError("supply_plan.bay: a plan that uses a bay must name it");
      }
      *event.mutable_supply_plan_proposed() = request.supply_plan();
      *event.mutable_supply_plan_proposed()->mutable_deadline() = deadline;
      event.mutable_supply_plan_proposed()->set_application_id(id);
      break;
    case v1::CompleteStepRequest::kDesignReview:
      if (application.needs_bay_approval && !bay_approved) {
        return absl::FailedPreconditionError(
            absl::StrCat("application ", id, " awaits the Marketing Department's approval of bay ",
                         application.bay));
      }
      *event.mutable_design_reviewed() = request.design_review();
      *event.mutable_design_reviewed()->mutable_deadline() = deadline;
      event.mutable_design_reviewed()->set_application_id(id);
      break;
    case v1::CompleteStepRequest::kConstruction:
      *event.mutable_construction_completed() = request.construction();
      *event.mutable_construction_completed()->mutable_deadline() = deadline;
      event.mutable_construction_completed()->set_application_id(id);
      break;
    case v1::CompleteStepRequest::kCompletionInspection:
      *event.mutable_completion_inspected() = request.completion_inspection();
      *event.mutable_completion_inspected()->mutable_deadline() = deadline;
      event.mutable_completion_inspected()->set_application_id(id);
      break;
    case v1::CompleteStepRequest::kMeterInstalled:
      if (request.meter_installed().meter_bar_code().empty()) {
        return absl::InvalidArgumentError("meter_installed.meter_bar_code: must not be empty");
      }
      *event.mutable_application_meter_installed() = request.meter_installed();
      *event.mutable_application_meter_installed()->mutable_deadline() = deadline;
      event.mutable_application_meter_installed()->set_application_id(id);
      break;
    case v1::CompleteStepRequest::kEnergised:
      *event.mutable_supply_energised() = request.energised();
      *event.mutable_supply_energised()->mutable_deadline() = deadline;
      event.mutable_supply_energised()->set_application_id(id);
      break;
    default: {  // closed
      auto* closed = event.mutable_application_closed();
      closed->set_application_id(id);
      closed->set_on_time(today <= application.due);
      closed->set_working_days_taken(WorkingDaysBetween(application.accepted_on, today));
      break;
    }
  }
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideEnd(const Application& application, const std::string& reason,
                                          bool withdrawn) {
  if (!application.exists) return absl::NotFoundError("application_id: unknown application");
  if (reason.empty()) return absl::InvalidArgumentError("reason: must not be empty");
  if (application.ended) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", application.submitted.application_id(), " has already ended"));
  }
  v1::DomainEvent event;
  if (withdrawn) {
    auto* w = event.mutable_application_withdrawn();
    w->set_application_id(application.submitted.application_id());
    w->set_at_step(application.step);
    w->set_reason(reason);
  } else {
    auto* r = event.mutable_application_rejected();
    r->set_application_id(application.submitted.application_id());
    r->set_at_step(application.step);
    r->set_reason(reason);
  }
  return event;
}

Ticket FoldTicket(const std::vector<v1::EventEnvelope>& history) {
  Ticket t;
  for (const v1::EventEnvelope& envelope : history) {
    const v1::DomainEvent& e = envelope.payload();
    switch (e.event_case()) {
      case v1::DomainEvent::kServiceTicketOpened:
        t.state = TicketState::kOpened;
        t.opened = e.service_ticket_opened();
        break;
      case v1::DomainEvent::kServiceTicketDispatched:
        t.state = TicketState::kDispatched;
        t.on_site_due_by = e.service_ticket_dispatched().on_site_due_by();
        break;
      case v1::DomainEvent::kServiceTicketOnSite:
        t.state = TicketState::kOnSite;
        break;
      case v1::DomainEvent::kServiceTicketResolved:
        t.state = TicketState::kResolved;
        break;
      case v1::DomainEvent::kServiceTicketClosed:
        t.state = TicketState::kClosed;
        break;
      default:
        break;
    }
  }
  return t;
}

absl::StatusOr<v1::DomainEvent> DecideOpenTicket(const Ticket& ticket,
                                                 v1::ServiceTicketOpened opened, absl::Time now) {
  if (absl::Status s = CheckId("ticket.ticket_id", opened.ticket_id()); !s.ok()) return s;
  if (opened.category() == v1::TICKET_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError("ticket.category: must be set");
  }
  if (opened.area() == v1::SERVICE_AREA_UNSPECIFIED) {
    return absl::InvalidArgumentError("ticket.area: must be URBAN or RURAL");
  }
  if (opened.org_unit().empty()) return absl::InvalidArgumentError("ticket.org_unit: must be set");
  if (ticket.state != TicketState::kNone) {
    return absl::AlreadyExistsError(absl::StrCat("ticket ", opened.ticket_id(), " exists"));
  }
  if (!opened.has_opened_at()) *opened.mutable_opened_at() = ToTimestamp(now);
  v1::DomainEvent event;
  *event.mutable_service_ticket_opened() = std::move(opened);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideAdvanceTicket(const Ticket& ticket,
                                                    const v1::AdvanceTicketRequest& request,
                                                    absl::Time now) {
  if (ticket.state == TicketState::kNone) return absl::NotFoundError("ticket_id: unknown ticket");
  const std::string& id = ticket.opened.ticket_id();
  auto refuse = [&](const char* needed) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket ", id, " cannot do that now: it must be ", needed, " first"));
  };
  v1::DomainEvent event;
  switch (request.step_case()) {
    case v1::AdvanceTicketRequest::kDispatched: {
      if (ticket.state != TicketState::kOpened) return refuse("open and not dispatched");
      if (request.dispatched().crew().empty()) {
        return absl::InvalidArgumentError("dispatched.crew: must not be empty");
      }
      auto* d = event.mutable_service_ticket_dispatched();
      *d = request.dispatched();
      d->set_ticket_id(id);
      const absl::Duration limit =
          ticket.opened.area() == v1::SERVICE_AREA_URBAN ? absl::Minutes(45) : absl::Minutes(90);
      *d->mutable_on_site_due_by() = ToTimestamp(FromTimestamp(ticket.opened.opened_at()) + limit);
      break;
    }
    case v1::AdvanceTicketRequest::kOnSite: {
      if (ticket.state != TicketState::kDispatched) return refuse("dispatched");
      auto* o = event.mutable_service_ticket_on_site();
      *o = request.on_site();
      o->set_ticket_id(id);
      if (!o->has_arrived_at()) *o->mutable_arrived_at() = ToTimestamp(now);
      o->set_within_limit(FromTimestamp(o->arrived_at()) <= FromTimestamp(ticket.on_site_due_by));
      break;
    }
    case v1::AdvanceTicketRequest::kResolved:
      if (ticket.state != TicketState::kOnSite) return refuse("on site");
      *event.mutable_service_ticket_resolved() = request.resolved();
      event.mutable_service_ticket_resolved()->set_ticket_id(id);
      break;
    case v1::AdvanceTicketRequest::kClosed:
      if (ticket.state != TicketState::kResolved) return refuse("resolved");
      if (request.closed().satisfaction() < 0 || request.closed().satisfaction() > 5) {
        return absl::InvalidArgumentError("closed.satisfaction: must be 0 (none) to 5");
      }
      *event.mutable_service_ticket_closed() = request.closed();
      event.mutable_service_ticket_closed()->set_ticket_id(id);
      break;
    default:
      return absl::InvalidArgumentError("step: one step must be given");
  }
  return event;
}

}  // namespace gridledger::customer
