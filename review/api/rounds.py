"""Review rounds (评议) and every step of one, under `rounds/{id}/`.

Members read the rounds of the villages they see, with the trail (every move: who, when, why), the notice dates
and counts. Each write calls one `review.services` function, which checks the member's role and the round's state
itself: a refused move is a 400 that says why, a role that may not act a 403. Every id in a body (household, item,
panel, area, entry, user) is looked up inside the township scope and among what the member may see: another
township's or another village's id reads "does not exist" (400), naming the field, and nothing is written.
Nothing of a round is deleted (405): the trail is kept. What each step takes and shows is in `steps`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import Action
from households.api.roster import _empty
from scoring.api.ledger import IDEMPOTENCY_HEADER, idempotency_key_of

from .. import selectors, services
from ..models import Declaration, Meeting, MeetingKind, Objection, ReviewRound
from ..selectors import rounds_visible_to
from .common import KEPT_SCHEMA, ProposalSerializer, ReviewViewSet, changes_for_service
from .decisions import (
    DECLARATION_PREFETCH,
    DECLARATION_RELATIONS,
    OBJECTION_PREFETCH,
    OBJECTION_RELATIONS,
    DeclarationSerializer,
    ObjectionSerializer,
)
from .round_serializers import (
    AssignmentSerializer,
    AssignSerializer,
    BatchCreateSerializer,
    MoveRoundSerializer,
    ProgressSerializer,
    RotationSerializer,
    RoundCreateSerializer,
    RoundFilter,
    RoundSerializer,
    described,
)
from .steps import (
    INSPECTION_MULTIPART,
    DeclarationCreateSerializer,
    InspectionCreateSerializer,
    InspectionSerializer,
    MeetingCreateSerializer,
    MeetingSerializer,
    ObjectionCreateSerializer,
    ProposalQuerySerializer,
    finding_files,
    inspections_of,
    proposals_of,
    replayed,
)

# Viewset -------------------------------------------------------------------------------------------------------

LIST_ACTION = {"filter_backends": []}


@extend_schema_view(destroy=KEPT_SCHEMA)
class RoundViewSet(ReviewViewSet):
    """评议: a quarterly inspection or the annual review of one village, scheme and period."""

    queryset = _empty(ReviewRound)
    serializer_class = RoundSerializer
    filterset_class = RoundFilter
    routed_actions = {"list", "retrieve", "create", "destroy"}
    write_actions = {
        "create": (Action.RUN_ROUND,),
        "batch": (Action.RUN_ROUND,),
        "move": (Action.RUN_ROUND, Action.APPROVE_ROUND),
        "rotation": (Action.RUN_ROUND,),
        "assignments": (Action.RUN_ROUND,),
        "inspections": (Action.PANEL_WORK, Action.APPROVE_ROUND),  # the township: with an override
        "declarations": (Action.RUN_ROUND,),
        "meetings": (Action.RUN_ROUND, Action.PANEL_WORK),
        "objections": (Action.RUN_ROUND,),
    }
    ordering_fields = ["created_at", "period", "state"]
    kept_detail = _("A review round is never deleted: its trail is kept.")

    def scoped_queryset(self):
        rounds = rounds_visible_to(self.membership)
        if self.action != "list":
            return rounds  # an action's round: the counts and the trail are read by `_detail` when answered
        return described(rounds)

    def _detail(self, round_: ReviewRound, code=status.HTTP_200_OK) -> Response:
        self.recheck(round_)
        fresh = described(rounds_visible_to(self.membership)).get(pk=round_.pk)
        return Response(RoundSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(responses={200: RoundSerializer})
    def retrieve(self, request, *args, **kwargs):
        """The round with its trail (every move with who, when and why), notice dates and counts."""
        return self._detail(self.get_object())

    @extend_schema(request=RoundCreateSerializer, responses={201: RoundSerializer})
    def create(self, request, *args, **kwargs):
        """Open a round in draft (township office or the village's clerk)."""
        serializer = RoundCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        round_ = services.create_round(membership=self.membership, **serializer.validated_data)
        return self._detail(round_, status.HTTP_201_CREATED)

    @extend_schema(request=BatchCreateSerializer, responses={201: RoundSerializer})
    @action(detail=False, methods=["post"], **LIST_ACTION)
    def batch(self, request, *args, **kwargs):
        """公示批次: post every directly recorded proposal of the village (clerk, grid worker, bulk, agreed
        transfers) on one public notice, opened at once. The township approves the batch after the notice ends
        (move `submit`, then `approve`); nothing counts before. 400 `nothing_to_post` when none waits."""
        serializer = BatchCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        round_ = services.post_notice_batch(membership=self.membership, **serializer.validated_data)
        return self._detail(round_, status.HTTP_201_CREATED)

    @extend_schema(request=MoveRoundSerializer, responses={200: RoundSerializer})
    @action(detail=True, methods=["post"], **LIST_ACTION)
    def move(self, request, *args, **kwargs):
        """Move the round: open, start_panel_review, to_representatives (annual), open_notice, submit, and the
        township's approve or return (with reasons). A move the state or its preconditions refuse is a 400 that
        says why; a second click is told who moved it first."""
        round_ = self.get_object()
        serializer = MoveRoundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.move_round(membership=self.membership, round=round_, **serializer.validated_data)
        return self._detail(round_)

    @extend_schema(methods=["GET"], responses={200: RotationSerializer(many=True)})
    @extend_schema(methods=["POST"], request=None, responses={200: AssignmentSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], **LIST_ACTION)
    def rotation(self, request, *args, **kwargs):
        """GET: the proposed cross-review (each area to a panel whose home it is not), paginated. POST: assign it
        (the answer lists every assignment made, unpaginated)."""
        round_ = self.get_object()
        if request.method == "GET":
            proposal = [{"panel": panel, "area": area} for panel, area in selectors.propose_rotation(round_)]
            return self.paginated(proposal, RotationSerializer)
        assignments = services.apply_rotation(membership=self.membership, round=round_)
        return Response(AssignmentSerializer(assignments, many=True).data)

    @extend_schema(methods=["GET"], responses={200: AssignmentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=AssignSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["get", "post"], **LIST_ACTION)
    def assignments(self, request, *args, **kwargs):
        """Which panel inspects which area. POST assigns one (never a panel to its own home area)."""
        round_ = self.get_object()
        if request.method == "GET":
            rows = round_.assignments.select_related("panel", "area").order_by("area__sort_key", "id")
            return self.paginated(rows, AssignmentSerializer)
        serializer = AssignSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        assignment = services.assign_panel(
            membership=self.membership, round=round_, **serializer.validated_data
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ProgressSerializer(many=True)})
    @action(detail=True, methods=["get"], **LIST_ACTION)
    def progress(self, request, *args, **kwargs):
        """Per area: how many households taking part are inspected ("37 of 92")."""
        return self.paginated(selectors.inspection_progress(self.get_object()), ProgressSerializer)

    @extend_schema(methods=["GET"], responses={200: InspectionSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": INSPECTION_MULTIPART, "application/json": InspectionCreateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: InspectionSerializer, 200: InspectionSerializer},
    )
    @action(detail=True, methods=["get", "post"], **LIST_ACTION)
    def inspections(self, request, *args, **kwargs):
        """Inspections of the round. POST (a panel member of the panel assigned to the household's area): the
        visit and its findings, each becoming a proposal; photos as multipart `evidence_<n>`."""
        round_ = self.get_object()
        if request.method == "GET":
            return self.paginated(inspections_of(round_), InspectionSerializer)
        key = idempotency_key_of(request)
        serializer = InspectionCreateSerializer(data=request.data, context=self.round_context(round_))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        files = finding_files(request, len(data["findings"]))
        findings = [
            {
                "item": finding["item"],
                "comment": finding["comment"],
                "evidence": files.get(index, []),
                "idempotency_key": f"{key}:f{index}" if key else "",
            }
            for index, finding in enumerate(data["findings"])
        ]
        replay = key and replayed(round_, data["household"], findings)
        inspection = services.record_inspection(
            membership=self.membership,
            round=round_,
            household=data["household"],
            inspected_on=data["inspected_on"],
            comment=data["comment"],
            findings=findings,
            override_reason=data["override_reason"],
        )
        self.recheck(inspection.household)
        fresh = inspections_of(round_).get(pk=inspection.pk)
        code = status.HTTP_200_OK if replay else status.HTTP_201_CREATED
        return Response(InspectionSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(methods=["GET"], responses={200: DeclarationSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": DeclarationCreateSerializer,
            "application/json": DeclarationCreateSerializer,
        },
        responses={201: DeclarationSerializer},
    )
    @action(detail=True, methods=["get", "post"], **LIST_ACTION)
    def declarations(self, request, *args, **kwargs):
        """Declarations of the round (annual review). POST: a household's declaration, taken at the counter or by
        a grid worker on its behalf, while the round is collecting; evidence as multipart `evidence`."""
        round_ = self.get_object()
        rows = (
            Declaration.objects.filter(round=round_)
            .select_related(*DECLARATION_RELATIONS)
            .prefetch_related(*DECLARATION_PREFETCH)
        )
        if request.method == "GET":
            return self.paginated(rows.order_by("declared_at", "id"), DeclarationSerializer)
        serializer = DeclarationCreateSerializer(data=request.data, context=self.round_context(round_))
        serializer.is_valid(raise_exception=True)
        declaration = services.declare(membership=self.membership, round=round_, **serializer.validated_data)
        self.recheck(declaration.household)
        return Response(
            DeclarationSerializer(rows.get(pk=declaration.pk), context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(methods=["GET"], responses={200: MeetingSerializer(many=True)})
    @extend_schema(methods=["POST"], request=MeetingCreateSerializer, responses={201: MeetingSerializer})
    @action(detail=True, methods=["get", "post"], **LIST_ACTION)
    def meetings(self, request, *args, **kwargs):
        """Minutes of the round's meetings. POST kind=panel: the whole panel verifies the proposals (quorum: more
        than half of the panel and at least five); kind=representatives (annual): attendees by name and the
        township staff present. Either may change proposals, each with a reason; the others stand confirmed."""
        round_ = self.get_object()
        rows = (
            Meeting.objects.filter(round=round_)
            .select_related("recorded_by")
            .prefetch_related("attendees", "changes__actor")
            .order_by("held_on", "id")
        )
        if request.method == "GET":
            return self.paginated(rows, MeetingSerializer)
        serializer = MeetingCreateSerializer(data=request.data, context=self.round_context(round_))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        common = {
            "membership": self.membership,
            "round": round_,
            "held_on": data["held_on"],
            "notes": data["notes"],
            "changes": changes_for_service(data["changes"]),
        }
        if data["kind"] == MeetingKind.PANEL:
            meeting = services.record_panel_meeting(
                panel=data["panel"],
                attendees=data.get("attendees", []),
                override_reason=data["override_reason"],
                **common,
            )
        else:
            meeting = services.record_representatives_meeting(
                attendee_names=data["attendee_names"], township_staff=data["township_staff"], **common
            )
        self.recheck(round_)
        return Response(
            MeetingSerializer(rows.get(pk=meeting.pk), context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(methods=["GET"], responses={200: ObjectionSerializer(many=True)})
    @extend_schema(methods=["POST"], request=ObjectionCreateSerializer, responses={201: ObjectionSerializer})
    @action(detail=True, methods=["get", "post"], **LIST_ACTION)
    def objections(self, request, *args, **kwargs):
        """Objections to the round's results. POST (a clerk, for a villager): only while the notice runs."""
        round_ = self.get_object()
        rows = (
            Objection.objects.filter(round=round_)
            .select_related(*OBJECTION_RELATIONS)
            .prefetch_related(*OBJECTION_PREFETCH)
        )
        if request.method == "GET":
            return self.paginated(rows.order_by("filed_at", "id"), ObjectionSerializer)
        serializer = ObjectionCreateSerializer(data=request.data, context=self.round_context(round_))
        serializer.is_valid(raise_exception=True)
        objection = services.file_objection(
            membership=self.membership, round=round_, **serializer.validated_data
        )
        self.recheck(objection.household)
        return Response(
            ObjectionSerializer(rows.get(pk=objection.pk), context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(parameters=[ProposalQuerySerializer], responses={200: ProposalSerializer(many=True)})
    @action(detail=True, methods=["get"], **LIST_ACTION)
    def proposals(self, request, *args, **kwargs):
        """The round's proposals (scoring entries) with their state: proposed, approved, or withdrawn/changed."""
        round_ = self.get_object()
        query = ProposalQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = proposals_of(round_)
        if state := query.validated_data.get("state"):
            rows = rows.filter(state=state)
        return self.paginated(rows, ProposalSerializer)
